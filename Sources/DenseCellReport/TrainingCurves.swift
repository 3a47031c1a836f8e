import DenseCellIO
import Foundation

/// A training log read back: the CSV `densecell train` writes beside each model, one line per
/// evaluation (docs/ARCHITECTURE.md, "Training"). Columns are found by name, so logs with more
/// columns read the same.
struct TrainingLog {
    /// The file read.
    var path: String
    /// The file name without `.csv`: the model it belongs to (`model-seed1`).
    var name: String
    /// Training steps at each evaluation.
    var steps: [Double]
    /// Mean training loss since the previous evaluation.
    var loss: [Double?]
    /// MIoU(all) and MIoU(org) on the held-out volume (nil where undefined).
    var miouAll: [Double?], miouOrg: [Double?]

    /// Reads a training log.
    /// - Parameter path: the CSV file.
    /// - Returns: its evaluations in file order.
    /// - Throws: `IOError` when it cannot be read or lacks the `step` and `loss` columns.
    static func read(path: String) throws -> TrainingLog {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw IOError(.missingFile, file: path, "cannot read the training log")
        }
        let lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
              let step = header.firstIndex(of: "step"), let loss = header.firstIndex(of: "loss") else {
            throw IOError(.corrupt, file: path, "not a training log (no step and loss columns)")
        }
        let all = header.firstIndex(of: "eval_miou_all"), org = header.firstIndex(of: "eval_miou_org")
        var log = TrainingLog(path: path, name: ((path as NSString).lastPathComponent as NSString).deletingPathExtension,
                              steps: [], loss: [], miouAll: [], miouOrg: [])
        for (n, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func value(_ column: Int?) -> Double? {
                guard let column, column < fields.count, let v = Double(fields[column]), v.isFinite else { return nil }
                return v
            }
            // A line being written while the run goes on is left for the next report.
            guard fields.count == header.count else {
                if n == lines.count - 2 { break }
                throw IOError(.corrupt, file: path, "line \(n + 2) has \(fields.count) fields, the header \(header.count)")
            }
            guard let s = value(step) else { throw IOError(.corrupt, file: path, "line \(n + 2): no step") }
            log.steps.append(s)
            log.loss.append(value(loss))
            log.miouAll.append(value(all))
            log.miouOrg.append(value(org))
        }
        return log
    }
}

/// The learning curves of a report: training loss and held-out MIoU against steps, one line per log.
enum TrainingCurves {
    /// Root attribute of a study written by `densecell train`: its logs, relative to the study.
    static let logsAttribute = "training_logs"

    /// The logs a study names (relative paths resolved beside it); none for a study without them.
    static func logPaths(ofStudy study: String) -> [String] {
        guard !StudyConversion.isZarr(study), let file = try? HDF5File(path: study),
              let value = file.attribute("/", logsAttribute) else { return [] }
        let names: [String]
        switch value {
        case .strings(let s): names = s
        case .string(let s): names = [s]
        default: return []
        }
        let directory = (study as NSString).deletingLastPathComponent
        return names.filter { !$0.isEmpty }.map { $0.hasPrefix("/") ? $0 : ((directory as NSString).appendingPathComponent($0) as NSString).standardizingPath }
    }

    /// Chart file names.
    static let lossFile = "training-loss.svg", miouFile = "training-miou.svg"

    /// The loss chart and the MIoU chart as (file name, SVG text).
    static func charts(_ logs: [TrainingLog]) -> [(String, String)] {
        let lastStep = logs.flatMap(\.steps).max() ?? 1
        let xTicks = ChartStyle.ticks(upTo: lastStep)
        let xStep = xTicks.count > 1 ? xTicks[1] - xTicks[0] : 1
        let topLoss = logs.flatMap { $0.loss.compactMap { $0 } }.max() ?? 1
        let lossTicks = ChartStyle.ticks(upTo: topLoss)
        let lossStep = lossTicks.count > 1 ? lossTicks[1] - lossTicks[0] : 1
        func series(_ log: TrainingLog, _ k: Int, _ metric: String, _ values: [Double?], label: String) -> LineChart.Series {
            LineChart.Series(legend: LegendItem(label, color: ChartStyle.seriesColor(k), mark: .line),
                             points: zip(log.steps, values).map { (x: $0, y: $1) },
                             pointTags: zip(log.steps, values).map { s, v in
                                 ReportNumber.tag(metric, ReportNumber.exact(v), [("log", log.name), ("step", String(Int(s)))])
                             })
        }
        let loss = LineChart(
            title: "Training loss", description: "Mean training loss between evaluations, against training steps.",
            xAxisTitle: "step", yAxisTitle: "loss", xTicks: xTicks, xFormat: { ChartStyle.tickLabel($0, step: xStep) },
            yTicks: lossTicks, yFormat: { ChartStyle.tickLabel($0, step: lossStep) },
            series: logs.enumerated().map { k, log in series(log, k, "training_loss", log.loss, label: log.name) },
            references: [])
        let miou = LineChart(
            title: "Held-out MIoU", description: "MIoU(all) and MIoU(org) on the evaluation volume at each evaluation.",
            xAxisTitle: "step", yAxisTitle: "MIoU", xTicks: xTicks, xFormat: { ChartStyle.tickLabel($0, step: xStep) },
            yTicks: (0...5).map { Double($0) / 5 }, yFormat: { String(format: "%.1f", $0) },
            series: logs.enumerated().flatMap { k, log in
                [series(log, 2 * k, "training_miou_all", log.miouAll, label: "\(log.name) all"),
                 series(log, 2 * k + 1, "training_miou_org", log.miouOrg, label: "\(log.name) org")]
            },
            references: [])
        return [(lossFile, loss.svg()), (miouFile, miou.svg())]
    }
}
