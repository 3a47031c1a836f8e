import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a segmentation against ground truth: confusion matrix, per-class IoU, MIoU, volume fractions.",
        discussion: """
        Counts only voxels inside the labeled region: the datasets' own masks (their `mask`
        attribute in a study file) and --mask. IoU_j = C[j][j] / (row j + column j − C[j][j]);
        a class absent from both is undefined (n/a, JSON null) and left out of the means.
        MIoU(all) averages every class, MIoU(org) the organelle classes (paper's unweighted MIoU).
        Organelle volume fraction = voxels of the organelle / non-background voxels, within
        --cell-mask (default: each source's own non-background voxels).

        With --json, prints one object:
          {"classes":[..], "voxels":N, "confusion":[[..]], "iou":[..], "miou_all":x, "miou_org":x,
           "volume_fractions":{"truth":{name:x}, "prediction":{name:x}}}
        (rows of confusion are truth, columns prediction), followed by
        "binary_sweep":[{"threshold":t,"miou":x},..] when --probabilities is given.

        Examples:
          densecell evaluate study.h5:/labels/truth study.h5:/labels/annotator-1
          densecell evaluate 50-labels.tif pred.h5:/labels/ensemble --mask cell.h5:/mask --json
          densecell evaluate truth.h5:/labels/truth pred.h5:/labels/ensemble --schema my-schema.json
          densecell evaluate study.h5:/labels/truth study.h5:/labels/ensemble --probabilities study.h5:/probabilities/ensemble
        """
    )

    @Argument(help: "Ground-truth labels (FILE.h5:/DATASET, STACK.tif or a PNG directory).")
    var truth: String

    @Argument(help: "Predicted labels, same shape as the truth.")
    var prediction: String

    @Option(help: "Labeled-region mask: only voxels where it is nonzero count.")
    var mask: String?

    @Option(name: .customLong("cell-mask"), help: "Cell region for organelle volume fractions (nonzero voxels).")
    var cellMask: String?

    @Option(help: ArgumentHelp("Class probabilities (FILE.h5:/probabilities/NAME, classes×z×y×x) for the binary test.",
                               discussion: "Adds the paper's binary comparison: 1 − p0 thresholded at 0, 0.1, …, 1 against truth ≠ 0."))
    var probabilities: String?

    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    @OptionGroup var schemaOption: SchemaOption

    func run() throws {
        let schema = try schemaOption.load()
        let truthRef = try VolumeReference.parse(truth), predRef = try VolumeReference.parse(prediction)
        let t = try StudyLabels.open(truthRef)
        let p = try StudyLabels.open(predRef)
        let shape = t.labels.shape
        try MetricsInput.checkShape(p.labels.shape, predRef, against: shape, "the truth \(truthRef)")
        var masks: [VolumeSource] = []
        if let mask {
            let ref = try VolumeReference.parse(mask)
            let m = try VolumeReader.open(ref)
            try MetricsInput.checkShape(m.shape, ref, against: shape, "the truth \(truthRef)")
            masks.append(m)
        }
        var cell: VolumeSource? = nil
        if let cellMask {
            let ref = try VolumeReference.parse(cellMask)
            let m = try VolumeReader.open(ref)
            try MetricsInput.checkShape(m.shape, ref, against: shape, "the truth \(truthRef)")
            cell = m
        }
        let probabilitySource = try probabilities.map { try MetricsInput.openProbabilities(try VolumeReference.parse($0), shape: shape) }
        let bar = MetricsInput.progressBar("evaluate", shape: shape)
        let result = try StreamingMetrics.evaluate(truth: t, prediction: p, masks: masks, cellMask: cell,
                                                   probabilities: probabilitySource, thresholds: (0...10).map { Double($0) / 10 },
                                                   schema: schema) { done, _ in bar?.update(done) }
        bar?.finish()
        let c = result.confusion, fractions = result.fractions, sweep = result.sweep
        let labeledRegion = !(t.masks + p.masks + masks).isEmpty
        if json {
            var text = MetricsReport.evaluateJSON(c, schema: schema, fractions: fractions)
            if let sweep {
                text.removeLast()
                text += ",\"binary_sweep\":[" + sweep.map { "{\"threshold\":\($0.threshold),\"miou\":\(MetricsReport.json($0.miou))}" }
                    .joined(separator: ",") + "]}"
            }
            print(text)
        } else {
            print("truth       \(truthRef)\nprediction  \(predRef)")
            print("voxels      \(c.total)\(labeledRegion ? " (inside the labeled region)" : "")")
            print("")
            print(MetricsReport.iouTable(c, schema: schema))
            print("")
            print(MetricsReport.confusionTable(c, schema: schema, rowTitle: "truth", columnTitle: "prediction"))
            print("")
            print(MetricsReport.fractionTable(["truth", "prediction"], fractions, schema: schema))
            if let sweep {
                print("")
                print(MetricsReport.table([["binary test: 1 − p0 ≥ t", "MIoU"]]
                                          + sweep.map { [String(format: "t = %.1f", $0.threshold), MetricsReport.decimal($0.miou)] }))
            }
        }
    }
}

/// Opening label sources, masks and probabilities for the metrics commands, with one-line errors.
enum MetricsInput {
    /// Opens a (classes, z, y, x) probability dataset whose volume shape matches `shape`.
    static func openProbabilities(_ ref: VolumeReference, shape: Shape3) throws -> HDF5Dataset {
        guard case .hdf5 = ref.kind, let dataset = ref.dataset else {
            throw IOError(.badReference, file: ref.path, "probabilities must be an HDF5 dataset, FILE.h5:/probabilities/NAME")
        }
        let file = try HDF5File(path: ref.path)
        let info = try file.info(dataset)
        guard info.dims.count == 4, info.dims[0] >= 2, Shape3(info.dims[1], info.dims[2], info.dims[3]) == shape else {
            throw IOError(.badShape, file: ref.path, dataset: info.name,
                          "shape \(info.dims.map(String.init).joined(separator: "×")) is not (classes ≥ 2, \(shape.z), \(shape.y), \(shape.x))")
        }
        return try HDF5Dataset(file: file, name: dataset)
    }

    /// A progress bar over the slices of a pass, for volumes large enough to take a while.
    static func progressBar(_ label: String, shape: Shape3) -> ProgressBar? {
        shape.count >= 1 << 26 ? ProgressBar(label, total: shape.z, unit: "slices") : nil
    }

    static func checkShape(_ shape: Shape3, _ ref: VolumeReference, against expected: Shape3, _ what: String) throws {
        guard shape == expected else {
            throw IOError(.badShape, file: ref.path, dataset: ref.dataset, "shape \(shape) does not match \(what) (\(expected))")
        }
    }
}

/// Aligned tables and the JSON of `evaluate` (key order: docs/ARCHITECTURE.md, "Metrics").
enum MetricsReport {
    static func percent(_ v: Double?) -> String { v.map { String(format: "%.2f%%", 100 * $0) } ?? "n/a" }
    static func decimal(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "n/a" }

    /// Left column left-aligned, the others right-aligned, two spaces apart.
    static func table(_ rows: [[String]]) -> String {
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

    static func iouTable(_ c: ConfusionMatrix, schema: LabelSchema, rowTitle: String = "truth",
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

    static func confusionTable(_ c: ConfusionMatrix, schema: LabelSchema, rowTitle: String, columnTitle: String) -> String {
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

    static func fractionTable(_ names: [String], _ fractions: [[Double?]], schema: LabelSchema) -> String {
        var rows = [["organelle volume fraction"] + names]
        for j in schema.organelles {
            rows.append([schema.classes[j].name] + fractions.map { percent($0[j]) })
        }
        return table(rows)
    }

    static func matrixTable(_ title: String, names: [String], _ m: [[Double?]]) -> String {
        var rows = [[title] + names]
        for (i, name) in names.enumerated() { rows.append([name] + m[i].map { decimal($0) }) }
        return table(rows)
    }

    // MARK: JSON (hand-written to keep the documented key order: docs/ARCHITECTURE.md, "Metrics")

    static func json(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 { out += String(format: "\\u%04x", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }

    static func json(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return "\(v)"
    }

    static func jsonFractions(_ f: [Double?], schema: LabelSchema) -> String {
        "{" + schema.organelles.map { json(schema.classes[$0].name) + ":" + json(f[$0]) }.joined(separator: ",") + "}"
    }

    static func evaluateJSON(_ c: ConfusionMatrix, schema: LabelSchema, fractions: [[Double?]]) -> String {
        let rows = (0..<c.classes).map { t in "[" + (0..<c.classes).map { String(c[t, $0]) }.joined(separator: ",") + "]" }
        return "{\"classes\":[" + schema.names.map(json).joined(separator: ",") + "]"
            + ",\"voxels\":\(c.total)"
            + ",\"confusion\":[" + rows.joined(separator: ",") + "]"
            + ",\"iou\":[" + c.iou().map(json).joined(separator: ",") + "]"
            + ",\"miou_all\":" + json(c.miou(over: Array(0..<c.classes)))
            + ",\"miou_org\":" + json(c.miou(over: schema.organelles))
            + ",\"volume_fractions\":{\"truth\":" + jsonFractions(fractions[0], schema: schema)
            + ",\"prediction\":" + jsonFractions(fractions[1], schema: schema) + "}}"
    }

    static func compareJSON(_ p: PairwiseComparison, fractions: [[Double?]], schema: LabelSchema) -> String {
        func matrix(_ m: [[Double?]]) -> String { "[" + m.map { "[" + $0.map(json).joined(separator: ",") + "]" }.joined(separator: ",") + "]" }
        return "{\"sources\":[" + p.names.map(json).joined(separator: ",") + "]"
            + ",\"miou_org\":" + matrix(p.miouOrg)
            + ",\"miou_all\":" + matrix(p.miouAll)
            + ",\"volume_fractions\":{" + zip(p.names, fractions).map { json($0) + ":" + jsonFractions($1, schema: schema) }
                .joined(separator: ",") + "}}"
    }
}
