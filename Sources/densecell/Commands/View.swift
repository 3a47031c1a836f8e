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
        Opens the image with every label source painted over it, a disagreement map of the compared pair, and a metrics pane (confusion matrix, pairwise MIoU(org)/MIoU(all), per-class IoU, organelle volume fractions) for the slice or the whole volume. Press ? inside for the keys: j/k slices, n/N the slices where the pair disagrees most, Tab the compared pair, m metrics tab, v slice/volume, i/I ensemble inference on the visible region / whole volume (with --models), e writes the panes as a PNG figure (into --out), q quit.

        Ensemble results are cached beside the study in STUDY.densecell-cache.h5 (keyed by the models' checksums, the precision and the overlap); --precision and --overlap work as in segment. The viewer never writes into the study itself. Colors: 24-bit when the terminal announces it (COLORTERM=truecolor, or a direct-color TERM such as xterm-direct), else the 256-color palette, and characters on 8-color terminals; --colors chooses.

        Examples:
          densecell view study.h5
          densecell view study.h5 --labels mine=my-labels.tif
          densecell view --image 50-images.tif --labels truth=50-labels.tif
          densecell view study.h5 --models models/ --top 3
          densecell view study.h5 --models models/ --overlap 0 --precision bf16
          densecell view study.h5 --out figures
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

    @OptionGroup var inference: InferenceSettings

    @Option(help: ArgumentHelp("Folder for the PNG figures the e key writes.", valueName: "DIR"))
    var out = "."

    @Option(help: ArgumentHelp("Colors: auto, 24bit, 256 or ascii (characters for 8-color terminals).", valueName: "MODE"))
    var colors = "auto"

    @Option(help: ArgumentHelp("Render frames of this size without a terminal and print the time per frame.", valueName: "COLSxROWS",
                               visibility: .hidden))
    var measureFrames: String?

    func validate() throws {
        if study == nil && image == nil { throw ValidationError("give a study file or --image REF") }
        if let top, top < 1 { throw ValidationError("--top must be at least 1") }
        if ViewerInput.colorMode(colors) == nil && colors != "auto" { throw ValidationError("--colors takes auto, 24bit, 256 or ascii") }
        for l in labels where !l.contains("=") { throw ValidationError("--labels takes NAME=REF, got \(l)") }
    }

    func run() throws {
        let schema = try schemaOption.load()
        let loaded = try ViewerInput.load(study: study, image: image, labels: labels, schema: schema)
        let provider = try ViewerInput.provider(models: models, top: top, options: try inference.options())
        if measureFrames == nil && (isatty(0) == 0 || isatty(1) == 0) {
            throw UsageError("view needs a terminal (stdin and stdout must be a terminal)")
        }
        let cachePath = study.map(SidecarCache.path(forStudy:))
        let session = ViewerSession(study: loaded, fileName: ((study ?? image!) as NSString).lastPathComponent,
                                    provider: provider, cachePath: cachePath, studyPath: study ?? image!, exportDirectory: out)
        if let measureFrames { return try measure(session, size: measureFrames) }
        let signal: Int32?
        do { signal = try ViewerApp.run(session, colors: ViewerInput.colorMode(colors)) } catch let e as TerminalError { throw UsageError(e.description) }
        // Ended by a signal: the terminal is restored; exit as the shell expects (128 + signal).
        if let signal { throw ExitCode(128 + signal) }
    }

    /// Frame build time at a given size, as `bench` would report it, for tuning by hand.
    func measure(_ session: ViewerSession, size: String) throws {
        let parts = size.split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2 else { throw UsageError("--measure-frames takes COLSxROWS, e.g. 200x60") }
        session.send(.resize(cols: parts[0], rows: parts[1]))
        // Every kind of pane: image, overlays and the disagreement map of the pair.
        if session.state.hasPair { session.send(.toggleDisagreementMap) }
        // Warm up once: slice grays, color tables and whole-volume metrics are computed once
        // and cached; then time frames that change what is drawn.
        _ = session.frame()
        session.send(.toggleMetricsScope); _ = session.frame(); session.send(.toggleMetricsScope)
        func time(_ label: String, _ actions: [Action]) {
            var times: [Double] = []
            for i in 0..<60 {
                session.send(actions[i % actions.count])
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = session.frame()
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            times.sort()
            print(String(format: "frame %@ on a %d×%d slice, %@: median %.2f ms, p90 %.2f ms, max %.2f ms (%d frames)",
                         size, session.data.shape.y, session.data.shape.x, label, times[times.count / 2],
                         times[times.count * 9 / 10], times.last!, times.count))
        }
        time("pan and metrics tabs", [.pan(dy: 0, dx: 1), .pan(dy: 0, dx: -1), .cycleMetricsTab, .toggleMetricsScope])
        time("zoom", [.zoomIn, .zoomOut])
        time("slice changes", [.nextSlice, .previousSlice])
        // Slices never shown before: display window and slice metrics computed on the way.
        let n = session.data.shape.z
        time("first visits", (0..<n).map { .goToSlice(($0 * 7 + 3) % n) })
    }
}

/// Assembles what the viewer shows from the command line.
enum ViewerInput {
    static func load(study path: String?, image: String?, labels: [String], schema: LabelSchema) throws -> Study {
        var study: Study
        if let path {
            study = try StudyFile.read(path: path, schema: schema)
            if let image { study.image = try VolumeReader.read(try VolumeReference.parse(image)).asFloat() }
        } else {
            study = Study(image: try VolumeReader.read(try VolumeReference.parse(image!)).asFloat(), schema: schema)
        }
        for spec in labels {
            let (name, refText) = spec.split(separator: "=", maxSplits: 1).map(String.init).pair
            let ref = try VolumeReference.parse(refText)
            let volume = try VolumeReader.readLabels(ref, classCount: schema.count)
            do { try study.setLabels(LabelSource(name: name, role: SourceRole(guessingFrom: name), labels: volume)) } catch {
                throw IOError(.badShape, file: ref.path, dataset: ref.dataset, "shape \(volume.shape) does not match the image \(study.shape)")
            }
        }
        for source in study.labels where source.labels.shape != study.shape {
            throw UsageError("label source \(source.name) has shape \(source.labels.shape) but the image is \(study.shape)")
        }
        return study
    }

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

private extension Array where Element == String {
    var pair: (String, String) { (self[0], count > 1 ? self[1] : "") }
}
