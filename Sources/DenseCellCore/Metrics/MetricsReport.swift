import Foundation

/// The metrics of `evaluate` and `compare` as aligned text tables and as JSON with keys in the
/// documented order (docs/ARCHITECTURE.md, "Metrics"). Pure formatting: the numbers come from
/// `Metrics` and `ConfusionMatrix`.
public enum MetricsReport {
    /// The binary test's MIoU at each threshold of `1 − p0`.
    public typealias Sweep = [(threshold: Double, miou: Double?)]

    // MARK: Numbers

    /// `12.34%`, or `n/a` when undefined.
    public static func percent(_ v: Double?) -> String { v.map { String(format: "%.2f%%", 100 * $0) } ?? "n/a" }
    /// `0.1234`, or `n/a` when undefined.
    public static func decimal(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "n/a" }

    // MARK: Tables

    /// Left column left-aligned, the others right-aligned, two spaces apart.
    public static func table(_ rows: [[String]]) -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for r in rows { for (i, cell) in r.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { r in
            r.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return i == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    /// Voxels of each class in both sources, IoU per class, MIoU(all) and MIoU(org).
    public static func iouTable(_ c: ConfusionMatrix, schema: LabelSchema, rowTitle: String = "truth",
                                columnTitle: String = "prediction") -> String {
        let iou = c.iou()
        let organelles = Set(schema.organelles)
        var rows = [["class", "\(rowTitle) voxels", "\(columnTitle) voxels", "IoU"]]
        for j in 0..<schema.count {
            rows.append(["\(j) \(schema.classes[j].name)\(organelles.contains(j) ? "" : " *")", "\(c.truthCount(j))",
                         "\(c.predictedCount(j))", decimal(iou[j])])
        }
        rows.append(["MIoU(all)", "", "", decimal(c.miou(over: Array(0..<schema.count)))])
        rows.append(["MIoU(org)", "", "", decimal(c.miou(over: schema.organelles))])
        return table(rows) + "\n(* not an organelle; n/a: class absent from both)"
    }

    /// The confusion matrix in voxels with recall per row and precision per column.
    public static func confusionTable(_ c: ConfusionMatrix, schema: LabelSchema, rowTitle: String, columnTitle: String) -> String {
        var rows = [["\(rowTitle) \\ \(columnTitle)"] + (0..<c.classes).map { String($0) } + ["recall"]]
        for t in 0..<c.classes {
            let n = c.truthCount(t)
            rows.append(["\(t) \(t < schema.count ? schema.classes[t].name : "?")"] + (0..<c.classes).map { String(c[t, $0]) }
                        + [n == 0 ? "n/a" : percent(Double(c[t, t]) / Double(n))])
        }
        rows.append(["precision"] + (0..<c.classes).map { p in
            let n = c.predictedCount(p)
            return n == 0 ? "n/a" : percent(Double(c[p, p]) / Double(n))
        } + [""])
        return "confusion matrix (voxels; rows \(rowTitle), columns \(columnTitle))\n" + table(rows)
    }

    /// Organelle volume fractions, one column per source.
    public static func fractionTable(_ names: [String], _ fractions: [[Double?]], schema: LabelSchema) -> String {
        var rows = [["organelle volume fraction"] + names]
        for j in schema.organelles {
            rows.append([schema.classes[j].name] + fractions.map { percent($0[j]) })
        }
        return table(rows)
    }

    /// An N×N matrix of a pairwise metric, rows and columns named.
    public static func matrixTable(_ title: String, names: [String], _ m: [[Double?]]) -> String {
        var rows = [[title] + names]
        for (i, name) in names.enumerated() { rows.append([name] + m[i].map { decimal($0) }) }
        return table(rows)
    }

    /// The binary test's MIoU per threshold.
    public static func sweepTable(_ sweep: Sweep) -> String {
        table([["binary test: 1 − p0 ≥ t", "MIoU"]] + sweep.map { [String(format: "t = %.1f", $0.threshold), decimal($0.miou)] })
    }

    /// Everything `evaluate` prints for one pair: the sources, the voxels counted, the IoU table,
    /// the confusion matrix, the volume fractions and (when given) the binary sweep.
    /// - Parameters:
    ///   - truth, prediction: how the two sources are named on the first lines.
    ///   - labeledRegion: whether masks limited the voxels counted (said after the count).
    ///   - fractions: the truth's and the prediction's organelle volume fractions.
    public static func evaluationText(_ c: ConfusionMatrix, schema: LabelSchema, truth: String, prediction: String,
                                      labeledRegion: Bool, fractions: [[Double?]], sweep: Sweep? = nil) -> String {
        var parts = ["truth       \(truth)\nprediction  \(prediction)\n"
                     + "voxels      \(c.total)\(labeledRegion ? " (inside the labeled region)" : "")",
                     iouTable(c, schema: schema),
                     confusionTable(c, schema: schema, rowTitle: "truth", columnTitle: "prediction"),
                     fractionTable(["truth", "prediction"], fractions, schema: schema)]
        if let sweep { parts.append(sweepTable(sweep)) }
        return parts.joined(separator: "\n\n")
    }

    // MARK: JSON

    /// `{name: fraction}` over the schema's organelles, in schema order.
    static func fractionsJSON(_ f: [Double?], schema: LabelSchema) -> OrderedJSON {
        .object(schema.organelles.map { (schema.classes[$0].name, .number(f[$0])) })
    }

    /// `evaluate --json`: classes, voxels, confusion (rows truth), iou, miou_all, miou_org,
    /// volume_fractions {truth, prediction}, then binary_sweep when a sweep is given.
    public static func evaluationJSON(_ c: ConfusionMatrix, schema: LabelSchema, fractions: [[Double?]],
                                      sweep: Sweep? = nil) -> OrderedJSON {
        var members: [(String, OrderedJSON)] = [
            ("classes", .array(schema.names.map { .string($0) })),
            ("voxels", .int(c.total)),
            ("confusion", .array((0..<c.classes).map { t in .array((0..<c.classes).map { .int(c[t, $0]) }) })),
            ("iou", .numbers(c.iou())),
            ("miou_all", .number(c.miou(over: Array(0..<c.classes)))),
            ("miou_org", .number(c.miou(over: schema.organelles))),
            ("volume_fractions", .object([("truth", fractionsJSON(fractions[0], schema: schema)),
                                          ("prediction", fractionsJSON(fractions[1], schema: schema))])),
        ]
        if let sweep {
            members.append(("binary_sweep", .array(sweep.map { .object([("threshold", .number($0.threshold)), ("miou", .number($0.miou))]) })))
        }
        return .object(members)
    }

    /// `compare --json`: sources, miou_org, miou_all (N×N, rows the first of each pair) and
    /// volume_fractions {source: {name: fraction}}.
    public static func comparisonJSON(_ p: PairwiseComparison, fractions: [[Double?]], schema: LabelSchema) -> OrderedJSON {
        .object([
            ("sources", .array(p.names.map { .string($0) })),
            ("miou_org", .array(p.miouOrg.map { .numbers($0) })),
            ("miou_all", .array(p.miouAll.map { .numbers($0) })),
            ("volume_fractions", .object(zip(p.names, fractions).map { ($0, fractionsJSON($1, schema: schema)) })),
        ])
    }

    /// `evaluationJSON` as one line of text.
    public static func evaluateJSON(_ c: ConfusionMatrix, schema: LabelSchema, fractions: [[Double?]], sweep: Sweep? = nil) -> String {
        evaluationJSON(c, schema: schema, fractions: fractions, sweep: sweep).text
    }

    /// `comparisonJSON` as one line of text.
    public static func compareJSON(_ p: PairwiseComparison, fractions: [[Double?]], schema: LabelSchema) -> String {
        comparisonJSON(p, fractions: fractions, schema: schema).text
    }
}
