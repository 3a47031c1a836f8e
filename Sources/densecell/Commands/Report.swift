import ArgumentParser
import DenseCellCore
import DenseCellIO
import DenseCellReport
import Foundation

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write an HTML report of a study with the paper's figures, ready to print or to put in a paper.",
        discussion: """
        Writes DIR/index.html with its charts (SVG) and slice figures (PNG): the study's shape, voxel size and sources; pairwise MIoU(org) and MIoU(all) heat maps; for each compared pair the confusion matrix in voxels and row-normalized, and per-class IoU; organelle volume fractions per source; the binary threshold test (1 − p(background) ≥ t for t = 0, 0.1, …, 1 against truth ≠ 0) when the study holds /probabilities; the slices of most disagreement of each pair; and a summary of the review log (STUDY.review.jsonl beside the study, or --review) when there is one; the learning curves (training loss, held-out MIoU) of the training logs the study names (the evaluation study densecell train writes beside its models) or of --training-log. Every number equals what `compare --json` and `evaluate --json` print for the same sources.

        The page has no scripts and fetches nothing. DIR appears complete or not at all: the report is built beside it and renamed into place; an earlier report in DIR is replaced only when the new one is finished, and a directory that is not a report is never replaced.

        Examples:
          densecell report study.h5 --out study-report
          densecell report study.h5 --pair annotator-1,annotator-2 --pair truth,ensemble --out report
          densecell report study.h5 --sources truth,ensemble --slices 5 --review study.review.jsonl --out report
          densecell report models/evaluation/model-seed1-eval.h5 --out training-report
        """
    )

    @Argument(help: "Study file (HDF5) with /image, label sources under /labels and optional /probabilities.")
    var study: String

    @Option(help: "Comma-separated label sources to compare (default: all, truth first, then annotators, then algorithms).")
    var sources: String?

    @Option(help: ArgumentHelp("A pair A,B to show in detail (confusion matrix, IoU, slices); repeat for more.",
                               discussion: "Default: the first source against each of the others."))
    var pair: [String] = []

    @Option(help: "Slices of most disagreement drawn per pair.")
    var slices = 3

    @Option(help: "Review log (default: STUDY.review.jsonl beside the study, when it exists).")
    var review: String?

    @Option(help: ArgumentHelp("A training log (CSV) whose learning curves to draw; repeat for more.",
                               discussion: "Default: the logs the study names (the evaluation study densecell train writes)."))
    var trainingLog: [String] = []

    @Option(help: "Report directory to write (replaced only by a finished report).")
    var out: String

    @OptionGroup var schemaOption: SchemaOption

    func run() throws {
        let schema = try schemaOption.loadIfGiven()
        let options = ReportOptions(
            studyPath: study,
            sources: sources.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
            pairs: pair.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) } },
            slices: slices, schema: schema, reviewLog: review,
            trainingLogs: trainingLog.isEmpty ? nil : trainingLog, outputDirectory: out,
            generator: "densecell \(DenseCell.configuration.version)",
            commandLine: (["densecell"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        var bars: [String: ProgressBar] = [:]
        let warnings = try StudyReport.write(options) { phase, done, total in
            let bar = bars[phase] ?? ProgressBar("report: \(phase)", total: total, unit: phase == "counting" ? "slices" : "figures")
            bars[phase] = bar
            if done > 0 { bar.update(done) }
            if done >= total { bar.finish() }
        }
        for w in warnings { FileHandle.standardError.write(Data("densecell: warning: \(w)\n".utf8)) }
        print("wrote \((out as NSString).appendingPathComponent("index.html"))")
    }
}
