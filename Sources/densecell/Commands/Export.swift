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

        --plane xz or yz draws the plane through row --y or column --x instead of
        slices: rows are z, stretched to the voxels' aspect when the study records
        its resolution (50 nm slices of 20 nm pixels: 2.5 times), and the file names
        the plane, e.g. platelet-xz-y0192-image+truth.png; --roi is then
        Z0:Z1,X0:X1 (or Z0:Z1,Y0:Y1) of the plane.

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
          densecell export study.h5 --plane xz --y 192 --out figures
          densecell export big.h5 --plane yz --x 900:910 --panes image,truth --out figures
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

    @Option(help: ArgumentHelp("The plane of each figure: xy (slices, the default), xz (at --y) or yz (at --x); rows are z, drawn at the voxels' aspect.", valueName: "xy|xz|yz"))
    var plane: String = "xy"

    @Option(help: "With --plane xz: the row Y, or rows Y0:Y1, one figure each.")
    var y: String?

    @Option(help: "With --plane yz: the column X, or columns X0:X1, one figure each.")
    var x: String?

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

    /// The plane asked for.
    var axis: PlaneAxis { PlaneAxis(rawValue: plane) ?? .xy }

    /// The --z, --y or --x text that names the figures' planes.
    var planeIndices: String? { [z, y, x][axis.normal] }

    func validate() throws {
        guard study != nil || image != nil else { throw ValidationError("Give a study file, or the image with --image.") }
        guard let axis = PlaneAxis(rawValue: plane) else { throw ValidationError("--plane must be xy, xz or yz, not \(plane)") }
        let option = "--\(axis.normalName)"
        if review != nil {
            guard z == nil && y == nil && x == nil && axis == .xy else { throw ValidationError("--review makes one figure per review item: leave out --z, --y, --x and --plane.") }
            return
        }
        let others = [("--z", z), ("--y", y), ("--x", x)].enumerated().filter { $0.offset != axis.normal && $0.element.1 != nil }
        if let extra = others.first { throw ValidationError("\(extra.element.0) does not apply to --plane \(plane) (which takes \(option)).") }
        guard planeIndices != nil else {
            throw ValidationError(axis == .xy ? "Give the slices with --z, or a review log with --review." : "--plane \(plane) needs \(option) (which \(axis.rawValue) plane).")
        }
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

        let axis = self.axis
        let slices = try parseSlices(planeIndices!, count: axis.depth(shape))
        var options = FigureOptions(alpha: alpha, scale: scale, paneTitles: titles, legend: legend)
        if let roi {
            if axis == .xy { try applyROI(roi, shape: shape, slices: slices, to: &options) }
            else { try applyPlaneROI(roi, axis: axis, shape: shape, to: &options) }
        }
        options.hiddenClasses = try parseHidden(hide, schema: opened.schema)
        let paneList = requested ?? defaultPanes(opened)
        do {
            // Check the whole request on the first plane before any file is written.
            _ = try Figure.layout(study: try opened.plane(axis, at: slices.lowerBound), panes: paneList,
                                  options: options, font: BitmapFont.standard())
        } catch let error as FigureError {
            throw UsageError("\(subject): \(error.description)")
        }
        // One gray window for the whole volume, so a series of slices has even brightness.
        options.grayWindow = try opened.image!.displayRange()
        try OutputDirectory.create(out)

        let progress = slices.count > 1 ? ProgressBar("export", total: slices.count, unit: axis == .xy ? "slices" : "planes") : nil
        let (written, failure) = try FigureExport.exportSeries(opened, studyPath: subject, slices: slices, panes: paneList,
                                                               options: options, heading: title, titles: titles, directory: out,
                                                               axis: axis) {
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

    /// `--roi R0:R1,C0:C1` of an xz or yz plane: its rows (z) and columns (x, or y).
    func applyPlaneROI(_ text: String, axis: PlaneAxis, shape: Shape3, to options: inout FigureOptions) throws {
        let size = axis.size(shape)
        let parts = text.split(separator: ",").map { $0.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) } }
        let names = "\(PlaneAxis.axisName(axis.rowAxis).uppercased())0:\(PlaneAxis.axisName(axis.rowAxis).uppercased())1,\(PlaneAxis.axisName(axis.columnAxis).uppercased())0:\(PlaneAxis.axisName(axis.columnAxis).uppercased())1"
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0[0] != nil && $0[1] != nil }),
              let r0 = parts[0][0], let r1 = parts[0][1], let c0 = parts[1][0], let c1 = parts[1][1],
              r0 >= 0, r0 < r1, r1 <= size.rows, c0 >= 0, c0 < c1, c1 <= size.columns else {
            throw UsageError("\(subject): --roi \(text): expected \(names) inside the \(size.rows)×\(size.columns) \(axis.rawValue) plane")
        }
        options.roiY = r0..<r1
        options.roiX = c0..<c1
    }

    /// `Z`, `Z0:Z1`, `Z0:` or `:Z1`, checked against the volume.
    func parseSlices(_ text: String, count: Int) throws -> Range<Int> {
        let bad = UsageError("\(subject): --\(axis.normalName) \(text): expected a plane \(axis.normalName.uppercased()) or a range \(axis.normalName.uppercased())0:\(axis.normalName.uppercased())1 within 0..<\(count)")
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        switch parts.count {
        case 1:
            guard let z = Int(parts[0]) else { throw bad }
            guard z >= 0, z < count else {
                throw UsageError(axis == .xy ? "\(subject): \(FigureError.sliceOutOfRange(z, count: count).description)"
                                 : "\(subject): --\(axis.normalName) \(z) is outside the volume's 0..<\(count)")
            }
            return z..<(z + 1)
        case 2:
            let lo = parts[0].isEmpty ? 0 : Int(parts[0]), hi = parts[1].isEmpty ? count : Int(parts[1])
            guard let lo, let hi else { throw bad }
            guard lo >= 0, hi <= count, lo < hi else {
                throw UsageError("\(subject): --\(axis.normalName) \(text) is not a non-empty range within the volume's planes 0..<\(count)")
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
