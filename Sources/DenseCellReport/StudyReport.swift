import DenseCellCore
import DenseCellIO
import Foundation

/// Bad report options (exit status 2 at the command line).
public struct ReportOptionError: DenseCellError {
    /// The one-line message naming the bad option.
    public var description: String
    /// Bad options are bad input.
    public var exitStatus: ExitStatus { .badInput }
    init(_ description: String) { self.description = description }
}

/// What `densecell report` was asked for.
public struct ReportOptions: Sendable {
    /// The study file to report on.
    public var studyPath: String
    /// Sources to compare (nil: every label source, truth first, then annotators, then algorithms).
    public var sources: [String]?
    /// Pairs (A, B) to show in detail (empty: the first source against each of the others).
    public var pairs: [[String]]
    /// Slices of most disagreement shown per pair.
    public var slices: Int
    /// Names and colors of the label classes (nil: the study's own — an OME-Zarr store's label
    /// images may describe them — else the platelet schema).
    public var schema: LabelSchema?
    /// The review log (nil: `STUDY.review.jsonl` beside the study, when it exists).
    public var reviewLog: String?
    /// Training logs (CSV) whose learning curves are drawn (nil: those the study names, as the
    /// evaluation study `densecell train` writes does).
    public var trainingLogs: [String]?
    /// The directory the report is written to; an earlier report there is replaced atomically.
    public var outputDirectory: String
    /// Who wrote the report and how, for its footer (`densecell 0.1.0`, the command line).
    public var generator: String
    /// The command line that asked for the report, shown in its footer.
    public var commandLine: String

    /// Options with the command's defaults for all but the study and the output directory.
    public init(studyPath: String, sources: [String]? = nil, pairs: [[String]] = [], slices: Int = 3,
                schema: LabelSchema? = nil, reviewLog: String? = nil, trainingLogs: [String]? = nil, outputDirectory: String,
                generator: String = "densecell", commandLine: String = "") {
        self.studyPath = studyPath; self.sources = sources; self.pairs = pairs; self.slices = slices
        self.schema = schema; self.reviewLog = reviewLog; self.trainingLogs = trainingLogs; self.outputDirectory = outputDirectory
        self.generator = generator; self.commandLine = commandLine
    }
}

/// The HTML report of a study (docs/ARCHITECTURE.md, Reports): metrics counted in one
/// streaming pass, charts as SVG, slices of most disagreement as PNG, written atomically.
public enum StudyReport {
    /// The review log beside a study: `dir/study.h5` → `dir/study.review.jsonl`.
    static func defaultReviewLogPath(studyPath: String) -> String { ReviewLog.defaultPath(forStudy: studyPath) }

    /// Writes the report directory.
    /// - Parameters:
    ///   - options: the study, what to show and where.
    ///   - progress: called with a phase name, work done and work in total.
    /// - Returns: warnings worth telling the user (a torn review-log line).
    /// - Throws: `IOError` for unreadable or inconsistent input and output problems,
    ///   `ReportOptionError` for options that do not fit the study; nothing is left behind.
    @discardableResult
    public static func write(_ options: ReportOptions, progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> [String] {
        var out = options.outputDirectory
        while out.count > 1 && out.hasSuffix("/") { out.removeLast() }
        guard options.slices >= 0 else { throw ReportOptionError("--slices must be 0 or more, not \(options.slices)") }
        let study = try OpenedStudy.open(study: options.studyPath, schema: options.schema)
        let plan = try makePlan(study, options)
        var log: ReviewSummary? = nil
        if let path = options.reviewLog {
            log = try ReviewSummary.read(path: path, shape: study.shape, schema: study.schema)
        } else {
            let path = defaultReviewLogPath(studyPath: options.studyPath)
            if FileManager.default.fileExists(atPath: path) { log = try ReviewSummary.read(path: path, shape: study.shape, schema: study.schema) }
        }
        // Logs the study names but that are gone are left out; logs asked for must be there.
        let trainingLogs = try options.trainingLogs.map { try $0.map(TrainingLog.read) }
            ?? TrainingCurves.logPaths(ofStudy: options.studyPath).compactMap { try? TrainingLog.read(path: $0) }
        try ReportDirectory.checkTarget(out)

        let temporary = try ReportDirectory.begin(out)
        do {
            let stats = try ReportStatistics.count(study, plan: plan) { progress("counting", $0, $1) }
            var document = ReportDocument(options: options, study: study, plan: plan, stats: stats, log: log,
                                          trainingLogs: trainingLogs)
            let figures = plan.pairs.indices.map { stats.worstSlices(pair: $0, count: plan.slices) }
            let totalFigures = figures.reduce(0) { $0 + $1.count }
            var done = 0
            for (p, slices) in figures.enumerated() {
                for z in slices {
                    let name = try writeSlice(study, pair: plan.pairs[p], z: z, disagreeing: stats.disagreement[p][z],
                                              window: stats.grayWindow, into: temporary)
                    document.sliceFiles[[p, z]] = name
                    done += 1
                    progress("figures", done, totalFigures)
                }
            }
            for (name, svg) in document.charts() {
                try writeText(svg, to: (temporary as NSString).appendingPathComponent(name))
            }
            try writeText(document.html(), to: (temporary as NSString).appendingPathComponent("index.html"))
            try ReportDirectory.commit(temporary, to: out)
        } catch {
            ReportDirectory.discard(temporary)
            throw error
        }
        return log?.warnings ?? []
    }

    /// Decides sources, pairs and sweeps, naming the first problem found.
    static func makePlan(_ study: OpenedStudy, _ options: ReportOptions) throws -> ReportPlan {
        let available = study.available
        func check(_ name: String, _ what: String) throws {
            guard available.contains(name) else {
                throw IOError(.missingDataset, file: study.subject, dataset: StudyFile.labelsDataset(name),
                              "no such label source\(what) (have: \(available.isEmpty ? "none" : available.joined(separator: ", ")))")
            }
        }
        let byRole = available
        let sources = options.sources ?? byRole
        guard !sources.isEmpty else {
            throw IOError(.missingDataset, file: study.subject, dataset: "/labels", "no label sources in this study")
        }
        for s in sources { try check(s, "") }
        guard Set(sources).count == sources.count else { throw ReportOptionError("--sources names a source twice") }
        var pairs = options.pairs
        for pair in pairs {
            guard pair.count == 2, pair[0] != pair[1] else {
                throw ReportOptionError("--pair \(pair.joined(separator: ",")): expected two different source names as A,B")
            }
            for name in pair { try check(name, " for --pair") }
        }
        if pairs.isEmpty { pairs = sources.dropFirst().map { [sources[0], $0] } }
        let truth = try sources.first { try study.source($0).role == .truth }
        let probabilities = truth == nil ? [] : study.probabilityNames.map { (name: $0, labels: available.contains($0) ? $0 : nil) }
        return ReportPlan(sources: sources, pairs: pairs, truth: truth, probabilities: probabilities, slices: options.slices)
    }

    /// Draws one slice of a pair with the export raster: image, A, B and their disagreement.
    static func writeSlice(_ study: OpenedStudy, pair: [String], z: Int, disagreeing: Int,
                           window: (lo: Float, hi: Float), into directory: String) throws -> String {
        let a = try study.source(pair[0]), b = try study.source(pair[1])
        let slice = try OpenedStudy(image: study.image!, resolutionNM: study.resolutionNM, schema: study.schema, labels: [a, b])
            .slices(z..<(z + 1))
        let side = max(study.shape.y, study.shape.x)
        // Panels of at most 512 pixels keep a four-panel figure printable on one page width.
        let scale = side > 512 ? 512 / Double(side) : 1
        let file = (study.subject as NSString).lastPathComponent
        let heading = "\(file)  ·  z \(z) of \(study.shape.z)  ·  \(pair[0]) vs \(pair[1]): \(ReportNumber.count(disagreeing)) voxels differ"
        let options = FigureOptions(alpha: 0.5, scale: scale, heading: heading, grayWindow: window)
        let panes: [Pane] = [.image, .labels(pair[0]), .labels(pair[1]), .disagreement(pair[0], pair[1])]
        let image = try FigureExport.render(study: slice, z: 0, panes: panes, options: options)
        let digits = max(3, String(max(0, study.shape.z - 1)).count)
        let index = String(repeating: "0", count: max(0, digits - String(z).count)) + String(z)
        let name = "slice-\(ReportDocument.safe(pair[0]))-vs-\(ReportDocument.safe(pair[1]))-z\(index).png"
        try image.write(path: (directory as NSString).appendingPathComponent(name))
        return name
    }

    static func writeText(_ text: String, to path: String) throws(IOError) {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw IOError(.writeFailed, file: path, "cannot write")
        }
    }
}
