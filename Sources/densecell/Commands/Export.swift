import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write PNG figures of study slices: image, label overlays and disagreement maps side by side.",
        discussion: """
        Each slice becomes one RGB PNG at image resolution (times --scale): a heading,
        one panel per pane with its name above it, and a legend of the class colors
        (and disagreement colors, and a scale bar when the study records its voxel
        size) below. Gray levels use one window for the whole volume, so a series of
        slices has even brightness.

        Panes (--panes, comma-separated; default: image and every label source):
          image       the EM image alone
          NAME        the image with label source NAME painted at --alpha
          diff:A/B    where B disagrees with A: red = organelle only in A,
                      blue = organelle only in B, yellow = different organelles,
                      violet = cell vs background; agreement shows the dimmed image

        Files are named <study>-z<slice>-<panes>.png: panes joined by '+', a diff as
        diff-A-B, the slice zero-padded to three digits (more for deeper volumes),
        e.g. platelet-z037-image+truth+diff-truth-annotator-1.png. Each file appears
        only when complete; the paths written are printed one per line. Without a
        study file (--image), names start with the image file's name.

        Examples:
          densecell export study.h5 --z 37 --out figures
          densecell export study.h5 --z 20:30 --panes image,truth,annotator-1 \\
            --out figures
          densecell export study.h5 --z 37 --panes truth,diff:truth/annotator-1 \\
            --alpha 0.6 --scale 2 --out figures
          densecell export study.h5 --z 37 --roi 100:228,64:192 --scale 3 \\
            --hide cell --out figures
          densecell export --image 50-images.tif --labels truth=50-labels.tif \\
            --z 10:20 --out figures
          densecell export study.h5 --review study.review.jsonl --out review-figures
        """
    )

    @Argument(help: "Study file (HDF5 with /image and /labels/<name>); may be left out when --image is given.")
    var study: String?

    @Option(help: "The image as a volume reference (FILE.h5:/DATASET, STACK.tif or a directory of PNGs), instead of the study's /image.")
    var image: String?

    @Option(name: .customLong("labels"), help: "A label source as NAME=REF (repeatable), added to the study's sources or replacing the one of that name.")
    var labelReferences: [String] = []

    @Option(help: "Slice Z, or slices Z0:Z1 (half-open, as in Python; Z0: runs to the last slice).")
    var z: String?

    @Option(help: ArgumentHelp("Write one figure per item of this review log (flags and decisions) instead of --z slices: a crop around the item, its note or decision in the heading.", valueName: "FILE"))
    var review: String?

    @Option(help: "Panes, comma-separated: image, a label source name, or diff:A/B.")
    var panes: String?

    @Option(help: "Opacity of class colors over the image, 0 to 1.")
    var alpha: Double = 0.5

    @Option(help: "Panel pixels per image pixel (e.g. 2 to enlarge, 0.5 to shrink).")
    var scale: Double = 1

    @Option(help: "Region of each slice to draw: Y0:Y1,X0:X1 (also accepts Z0:Z1,Y0:Y1,X0:X1 with the slices given by --z inside Z0:Z1).")
    var roi: String?

    @Option(help: "Classes left unpainted, by name or number, comma-separated (e.g. cell).")
    var hide: String?

    @Option(help: "Heading above the panels (default: file, slice, region and voxel size; \"\" for none).")
    var title: String?

    @Flag(inversion: .prefixedNo, help: "Draw the heading and the pane names.")
    var titles = true

    @Flag(inversion: .prefixedNo, help: "Draw the legend of class colors below the panels.")
    var legend = true

    @OptionGroup var schemaOption: SchemaOption

    @Option(help: "Directory for the PNG files (created if missing).")
    var out: String

    /// What the figures are of: the study file, or the image named by --image.
    var subject: String { study ?? image.map { (try? VolumeReference.parse($0).path) ?? $0 } ?? "" }

    func validate() throws {
        guard study != nil || image != nil else { throw ValidationError("Give a study file, or the image with --image.") }
        guard (z == nil) != (review == nil) else { throw ValidationError("Give the slices with --z, or a review log with --review.") }
    }

    func run() throws {
        let schema = try schemaOption.loadIfGiven()
        var requested: [Pane]? = nil
        if let spec = panes {
            do { requested = try Pane.parseList(spec) } catch { throw UsageError("\(subject): \(error.description)") }
        }
        let opened = try openStudy(schema: schema, panes: requested)
        let shape = opened.shape
        // A slice too large to hold is refused before anything is read.
        _ = try FigureExport.sliceBatch(opened)
        if let review { return try exportReview(review, study: opened) }

        let slices = try parseSlices(z!, count: shape.z)
        var options = FigureOptions(alpha: alpha, scale: scale, paneTitles: titles, legend: legend)
        if let roi { try applyROI(roi, shape: shape, slices: slices, to: &options) }
        options.hiddenClasses = try parseHidden(hide, schema: opened.schema)
        let paneList = requested ?? defaultPanes(opened)
        do {
            // Check the whole request on the first slice before any file is written.
            _ = try Figure.layout(study: try opened.slices(slices.lowerBound..<(slices.lowerBound + 1)), panes: paneList,
                                  options: options, font: BitmapFont.standard())
        } catch let error as FigureError {
            throw UsageError("\(subject): \(error.description)")
        }
        // One gray window for the whole volume, so a series of slices has even brightness.
        options.grayWindow = try opened.image!.displayRange()
        try OutputDirectory.create(out)

        let progress = slices.count > 1 ? ProgressBar("export", total: slices.count, unit: "slices") : nil
        let (written, failure) = try FigureExport.exportSeries(opened, studyPath: subject, slices: slices, panes: paneList,
                                                               options: options, heading: title, titles: titles, directory: out) {
            progress?.update($0)
        }
        progress?.finish("\(written.count) files in \(out)")
        for path in written { print(path) }
        switch failure {
        case nil: break
        case let error as FigureError: throw UsageError("\(subject): \(error.description)")
        case let error?: throw error
        }
    }

    /// One figure per review item, oldest first, each a crop around the item with its note or
    /// decision in the heading.
    func exportReview(_ logPath: String, study opened: OpenedStudy) throws {
        let contents = try ReviewLog.read(path: logPath, shape: opened.shape)
        if let warning = contents.warning { FileHandle.standardError.write(Data("densecell: \(warning)\n".utf8)) }
        let items = ReviewState(records: contents.records).items
        guard !items.isEmpty else { throw UsageError("\(logPath): no review items to export") }
        try OutputDirectory.create(out)
        let name = ((subject as NSString).lastPathComponent as NSString).deletingPathExtension
        let sources = opened.labels.map(\.name)
        let progress = ProgressBar("export", total: items.count, unit: "items")
        let grayWindow = try opened.image!.displayRange()
        let hidden = try parseHidden(hide, schema: opened.schema)
        for (i, record) in items.enumerated() {
            let figure = ReviewFigure(record: record, number: i + 1, shape: opened.shape, studyName: name, sources: sources)
            // Each figure reads its own slice only.
            let study = try opened.slices(figure.z..<(figure.z + 1))
            let options = FigureOptions(alpha: alpha, scale: scale, roiY: figure.roiY, roiX: figure.roiX,
                                        hiddenClasses: hidden,
                                        heading: titles ? figure.heading : nil, paneTitles: titles, legend: legend,
                                        grayWindow: grayWindow)
            let png = try FigureExport.render(study: study, z: 0, panes: figure.panes, options: options)
            let path = (out as NSString).appendingPathComponent(figure.fileName)
            try png.write(path: path)
            print(path)
            progress.update(i + 1)
        }
        progress.finish("\(items.count) figures in \(out)")
    }

    /// The image and the label sources the panes show (all of them for the default panes).
    func openStudy(schema: LabelSchema?, panes: [Pane]?) throws -> OpenedStudy {
        try LabelReferences.open(study: study, image: image, labels: labelReferences, schema: schema, panes: panes)
    }

    /// The image, then every label source: truth first, then annotators, then algorithms.
    func defaultPanes(_ study: OpenedStudy) -> [Pane] { [.image] + study.labels.map { .labels($0.name) } }

    /// `Z`, `Z0:Z1`, `Z0:` or `:Z1`, checked against the volume.
    func parseSlices(_ text: String, count: Int) throws -> Range<Int> {
        let bad = UsageError("\(subject): --z \(text): expected a slice Z or a range Z0:Z1 within 0..<\(count)")
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        switch parts.count {
        case 1:
            guard let z = Int(parts[0]) else { throw bad }
            guard z >= 0, z < count else { throw UsageError("\(subject): \(FigureError.sliceOutOfRange(z, count: count).description)") }
            return z..<(z + 1)
        case 2:
            let lo = parts[0].isEmpty ? 0 : Int(parts[0]), hi = parts[1].isEmpty ? count : Int(parts[1])
            guard let lo, let hi else { throw bad }
            guard lo >= 0, hi <= count, lo < hi else {
                throw UsageError("\(subject): --z \(text) is not a non-empty range within the volume's slices 0..<\(count)")
            }
            return lo..<hi
        default:
            throw bad
        }
    }

    func applyROI(_ text: String, shape: Shape3, slices: Range<Int>, to options: inout FigureOptions) throws {
        let axes = text.split(separator: ",", omittingEmptySubsequences: false).count
        let full = axes == 2 ? "\(slices.lowerBound):\(slices.upperBound)," + text : text
        guard axes == 2 || axes == 3, let box = Box3.parse(full, in: shape) else {
            throw UsageError("\(subject): --roi \(text): expected Y0:Y1,X0:X1 (or Z0:Z1,Y0:Y1,X0:X1) inside the \(shape) volume")
        }
        guard box.z.contains(slices.lowerBound), box.z.contains(slices.upperBound - 1) else {
            throw UsageError("\(subject): --roi \(text): its z range does not contain the slices of --z \(z ?? "")")
        }
        options.roiY = box.y
        options.roiX = box.x
    }

    func parseHidden(_ text: String?, schema: LabelSchema) throws -> Set<Int> {
        guard let text else { return [] }
        var hidden = Set<Int>()
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let i = Int(item), i >= 0, i < schema.count { hidden.insert(i); continue }
            guard let i = schema.names.firstIndex(of: item) else {
                throw UsageError("--hide \(item): no such class (classes: \(schema.names.joined(separator: ", ")))")
            }
            hidden.insert(i)
        }
        return hidden
    }
}
