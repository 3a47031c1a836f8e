import ArgumentParser
import DenseCellCore
import DenseCellEngine
import DenseCellIO
import DenseCellTUI
import Foundation

struct View: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Review a study in the terminal: slices, label overlays, disagreement maps, metrics, ensemble inference.",
        discussion: """
        Opens the image with every label source painted over it, a disagreement map of the compared pair, and a metrics pane (confusion matrix, pairwise MIoU(org)/MIoU(all), per-class IoU, organelle volume fractions) for the slice or the whole volume. Press ? inside for the keys: j/k slices, n/N the slices where the pair disagrees most, Tab the compared pair, m metrics tab, v slice/volume, r the queue of disagreement regions (n/N walk it; a/b take A's/B's labels, E the ensemble's, x leaves it to an expert, u undoes, f flags the cursor with a note, F lists the review items), i/I ensemble inference on the visible region / whole volume (with --models), e writes the panes as a PNG figure (into --out), q quit.

        Decisions and flags are appended to the review log STUDY.review.jsonl (or --review FILE), one synced line each, and replayed when the viewer opens; `densecell review` lists them and `densecell consensus` applies them.

        The study is read on demand, never whole: slices are decoded into a cache of at most --cache-mb (default 512) and their neighbours read ahead; zoomed out, panes draw from a multiscale pyramid; volume metrics and the n/N ranking come from one background pass (the footer shows "volume N%" until it is done). The pyramid, those counts and the ensemble's results are kept beside the study in STUDY.densecell-cache.h5 (keyed by the sources' identity and the models' checksums, precision and overlap), so a second visit opens at once; --precision and --overlap work as in segment. The viewer never writes into the study itself. Colors: 24-bit when the terminal announces it (COLORTERM=truecolor, or a direct-color TERM such as xterm-direct), else the 256-color palette, and characters on 8-color terminals; --colors chooses.

        Examples:
          densecell view study.h5
          densecell view study.h5 --labels mine=my-labels.tif
          densecell view --image 50-images.tif --labels truth=50-labels.tif
          densecell view study.h5 --models models/ --top 3
          densecell view study.h5 --models models/ --overlap 0 --precision bf16
          densecell view study.h5 --out figures
          densecell view study.h5 --reviewer ana --review shared/study.review.jsonl
          densecell view study.h5 --graphics sixel
          densecell view big.h5 --cache-mb 2048

        Graphics: with --graphics auto (the default, or DENSECELL_GRAPHICS) the viewer asks the terminal at start whether it draws kitty or sixel images and how large its cells are, waits at most 150 ms for the answer, and otherwise draws half-block characters (always inside tmux). With an image protocol the panes show the slice at the terminal's full pixel resolution, as sharp as a PNG export, even over SSH; the header names the mode in use.
        """
    )

    @Argument(help: "Study file (HDF5 with /image and /labels/<name>).")
    var study: String?

    @Option(help: ArgumentHelp("The image volume, replacing the study's /image.", valueName: "REF"))
    var image: String?

    @Option(name: .customLong("labels"), help: ArgumentHelp("An extra label source (repeatable).", valueName: "NAME=REF"))
    var labels: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Model files or directories of *.h5 models for ensemble inference.", valueName: "DIR|FILE"))
    var models: [String] = []

    @Option(help: "Ensemble the K models with the best evaluation MIoU.")
    var top: Int?

    @OptionGroup var schemaOption: SchemaOption

    @OptionGroup var graphicsOption: GraphicsOption

    @OptionGroup var inference: InferenceSettings

    @Option(help: ArgumentHelp("Folder for the PNG figures the e key writes.", valueName: "DIR"))
    var out = "."

    @Option(help: ArgumentHelp("Review log the viewer replays and appends decisions and flags to (default: STUDY.review.jsonl).", valueName: "FILE"))
    var review: String?

    @Option(help: ArgumentHelp("Name recorded with each review item (default: $USER).", valueName: "NAME"))
    var reviewer: String?

    @Option(name: .customLong("cache-mb"), help: ArgumentHelp("Memory for decoded slices, in MB; the study itself is read on demand.", valueName: "MB"))
    var cacheMB = 512

    @Option(help: ArgumentHelp("Colors: auto, 24bit, 256 or ascii (characters for 8-color terminals).", valueName: "MODE"))
    var colors = "auto"

    @Option(help: ArgumentHelp("Render frames of this size without a terminal and print the time and, with --graphics sixel, kitty or iterm2, the bytes per frame.",
                               valueName: "COLSxROWS", visibility: .hidden))
    var measureFrames: String?

    @Option(help: ArgumentHelp("Cell size in pixels assumed by --measure-frames with an image protocol.", valueName: "WxH",
                               visibility: .hidden))
    var cellPixels = "10x20"

    func validate() throws {
        if study == nil && image == nil { throw ValidationError("give a study file or --image REF") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if cacheMB < 16 || cacheMB > 1 << 20 { throw ValidationError("--cache-mb must be from 16 to 1048576") }
        if ViewerInput.colorMode(colors) == nil && colors != "auto" { throw ValidationError("--colors takes auto, 24bit, 256 or ascii") }
        for l in labels where !l.contains("=") { throw ValidationError("--labels takes NAME=REF, got \(l)") }
    }

    func run() throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let opened = try LabelReferences.open(study: study, image: image, labels: labels, schema: try schemaOption.loadIfGiven())
        let provider = try ViewerInput.provider(models: models, top: top, options: try inference.options())
        if measureFrames == nil && (isatty(0) == 0 || isatty(1) == 0) {
            throw UsageError("view needs a terminal (stdin and stdout must be a terminal)")
        }
        let cachePath = study.map(ViewerCacheFile.path(forStudy:))
        let session = try ViewerSession(study: opened, fileName: ((study ?? image!) as NSString).lastPathComponent,
                                        provider: provider, cachePath: cachePath, cacheBytes: cacheMB << 20,
                                        studyPath: study ?? image!, exportDirectory: out)
        defer { session.close() }
        if let logPath = review ?? study.map(ReviewLog.defaultPath(forStudy:)) {
            try session.loadReview(path: logPath, reviewer: reviewer ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown")
        }
        if let measureFrames { return try measure(session, size: measureFrames, started: started) }
        let signal: Int32?
        do {
            signal = try ViewerApp.run(session, colors: ViewerInput.colorMode(colors), graphics: try graphicsOption.choice())
        } catch let e as TerminalError { throw UsageError(e.description) }
        // Ended by a signal: the terminal is restored; exit as the shell expects (128 + signal).
        if let signal { throw ExitCode(128 + signal) }
    }

    /// `--measure-frames COLSxROWS`: frame times without a terminal (`FrameMeasurement`).
    func measure(_ session: ViewerSession, size: String, started: UInt64) throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw UsageError("--measure-frames takes COLSxROWS, e.g. 200x60") }
        let cell = cellPixels.split(separator: "x").compactMap { Int($0) }
        guard cell.count == 2, cell[0] > 0, cell[1] > 0 else { throw UsageError("--cell-pixels takes WxH, e.g. 10x20") }
        var mode = GraphicsMode.blocks
        if case .fixed(let m) = try graphicsOption.choice() { mode = m }
        FrameMeasurement(session: session, cols: parts[0], rows: parts[1], mode: mode, cell: CellSize(width: cell[0], height: cell[1]),
                         started: started).run { print($0) }
    }
}

/// Assembles what the viewer shows from the command line.
enum ViewerInput {
    static func colorMode(_ text: String) -> ColorMode? {
        switch text { case "24bit": .direct; case "256": .palette256; case "ascii": .ascii; default: nil }
    }

    /// The ensemble behind `i`/`I`, or nil without --models.
    static func provider(models: [String], top: Int?, options: InferenceOptions = InferenceOptions()) throws -> SegmentationProvider? {
        guard !models.isEmpty else { return nil }
        do { return EnsembleProvider(ensemble: try Ensemble.load(paths: models, top: top), options: options) } catch let e as EngineError {
            throw UsageError("\(models.joined(separator: ", ")): \(e.description)")
        }
    }
}
