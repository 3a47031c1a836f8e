import XCTest
import DenseCellCore
import TestSupport
@testable import DenseCellIO

/// `densecell report` read back: every number it shows equals `compare --json` /
/// `evaluate --json` on the same study, every chart has axes and a legend, every referenced
/// file exists and decodes, and a failed run leaves nothing behind.
final class ReportCLITests: XCTestCase {
    var dir = ""
    var study = ""
    override func setUp() { dir = CLI.temporaryDirectory(); study = dir + "/s.h5" }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A phantom with an "ensemble" source (labels and probabilities), a mask on annotator-2
    /// and a review log beside it.
    func makeStudy() throws {
        let r = try CLI.run(["phantom", study, "--shape", "8x128x128", "--seed", "4"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try StudyFile.read(path: study)
        let truth = s.source(named: "truth")!.labels
        var rng = SplitMix64(seed: 9)
        let ensemble = Volume(shape: s.shape, data: truth.data.map { rng.unit() < 0.08 ? UInt8(rng.int(0, 6)) : $0 })
        var p = [Float](repeating: 0, count: 7 * s.shape.count)
        for i in 0..<s.shape.count {
            // Background probability: high on background, spread out elsewhere, so the sweep has a shape.
            let p0 = ensemble.data[i] == 0 ? 0.55 + 0.45 * Float(rng.unit()) : 0.6 * Float(rng.unit())
            p[i] = p0
            p[Int(max(1, ensemble.data[i])) * s.shape.count + i] = 1 - p0
        }
        let mask = Volume(shape: s.shape, data: (0..<s.shape.count).map { UInt8(($0 % 128) < 100 ? 1 : 0) })
        let writer = try StudyWriter(path: study, shape: s.shape, existing: .addTo)
        try writer.writeLabels(LabelSource(name: "ensemble", role: .algorithm, labels: ensemble))
        try writer.writeProbabilities(ProbabilitySource(name: "ensemble", classes: 7, shape: s.shape, data: p))
        try writer.commit()
        let file = try HDF5File(path: study, mode: .readWrite)
        try file.writeArray("/masks/annotator-2", dims: [s.shape.z, s.shape.y, s.shape.x], data: mask.data, memoryType: .uint8)
        try file.setAttribute("/labels/annotator-2", "mask", .string("/masks/annotator-2"))
        try file.flush()
        // A review log as the viewer writes it, ending in a torn line (a killed writer).
        let pair = ("annotator-1", "annotator-2")
        func region(_ id: Int) -> DisagreementRegion {
            DisagreementRegion(id: id, voxels: 130 - 10 * id, box: Box3(z: 3..<5, y: 10..<20, x: 12..<22), centroid: (3, 12, 14),
                               seed: (3, 10, 12), classPairs: [ClassPairCount(a: 4, b: 1, voxels: 130 - 10 * id)])
        }
        let d1 = ReviewRecord(reviewer: "ana", kind: .decision, shape: s.shape, at: (3, 10, 12), pair: pair, region: region(1), take: .a)
        let d2 = ReviewRecord(reviewer: "ana", kind: .decision, shape: s.shape, at: (4, 20, 22), pair: pair, region: region(2), take: .b)
        let undo = ReviewRecord(reviewer: "ana", kind: .undo, shape: s.shape, at: (4, 20, 22), pair: pair, target: d2.id)
        let flag = ReviewRecord(reviewer: "bo", kind: .flag, shape: s.shape, at: (7, 8, 9), note: "membrane unclear <here> & there")
        let torn = ReviewRecord(reviewer: "bo", kind: .decision, shape: s.shape, at: (5, 1, 2), pair: pair, region: region(3), take: .b)
        let log = [d1, d2, undo, flag].map { $0.jsonLine() + "\n" }.joined() + torn.jsonLine().prefix(60)
        try log.write(toFile: dir + "/s.review.jsonl", atomically: true, encoding: .utf8)
    }

    func json(_ r: CLIResult) throws -> [String: Any] {
        XCTAssertEqual(r.status, 0, r.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
    }

    func double(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }

    func testEveryNumberShownEqualsCompareAndEvaluate() throws {
        try makeStudy()
        let out = dir + "/report"
        let r = try CLI.run(["report", study, "--pair", "annotator-1,annotator-2", "--pair", "truth,ensemble",
                             "--slices", "2", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("line 5 is incomplete"), r.stderr)

        // Page and charts parse as XML; nothing is fetched or scripted.
        let page = try MarkupNode.parse(try Data(contentsOf: URL(fileURLWithPath: out + "/index.html")))
        XCTAssertFalse(page.all.contains { $0.name == "script" })
        let references = page.all.compactMap { $0.attributes["src"] ?? $0.attributes["href"] }
        XCTAssertFalse(references.isEmpty)
        for ref in references {
            XCTAssertFalse(ref.contains("://") || ref.hasPrefix("/"), "\(ref) is not a file beside the page")
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + ref), "\(ref) missing")
        }
        var charts: [String: MarkupNode] = [:]
        for ref in Set(references) where ref.hasSuffix(".svg") {
            let svg = try MarkupNode.parse(try Data(contentsOf: URL(fileURLWithPath: out + "/" + ref)))
            let groups = svg.all.filter { $0.name == "g" }.map { $0.classes() }
            XCTAssertTrue(groups.contains { $0.contains("x-axis") }, "\(ref): no x axis")
            XCTAssertTrue(groups.contains { $0.contains("y-axis") }, "\(ref): no y axis")
            XCTAssertTrue(groups.contains { $0.contains("legend") }, "\(ref): no legend")
            XCTAssertFalse(svg.all.contains { $0.name == "script" || $0.attributes["href"]?.contains("://") == true })
            charts[ref] = svg
        }
        XCTAssertEqual(Set(charts.keys), ["pairwise-miou-org.svg", "pairwise-miou-all.svg", "volume-fractions.svg", "iou.svg",
                                           "confusion-annotator-1-vs-annotator-2.svg", "confusion-truth-vs-ensemble.svg",
                                           "threshold-sweep.svg"])
        let pngs = Set(references.filter { $0.hasSuffix(".png") })
        XCTAssertEqual(pngs.count, 4)
        for png in pngs {
            let image = try PNGImage.read(path: out + "/" + png)
            XCTAssertGreaterThan(image.width, 4 * 128)
            XCTAssertEqual(image.channels, 3)
        }
        // The slice figures come from the export raster: apart from the heading line, each is
        // pixel for pixel what `densecell export` draws of the same slice and panes.
        let figure = try XCTUnwrap(pngs.sorted().first { $0.hasPrefix("slice-annotator-1-vs-annotator-2-z") })
        let z = try XCTUnwrap(Int(figure.dropFirst("slice-annotator-1-vs-annotator-2-z".count).dropLast(4)))
        let exported = try CLI.run(["export", study, "--z", String(z), "--panes", "image,annotator-1,annotator-2,diff:annotator-1/annotator-2",
                                    "--out", dir + "/export"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let exportFile = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir + "/export").first)
        let mine = try PNGImage.read(path: out + "/" + figure), theirs = try PNGImage.read(path: dir + "/export/" + exportFile)
        XCTAssertEqual(mine.width, theirs.width)
        XCTAssertEqual(mine.height, theirs.height)
        if mine.width == theirs.width && mine.height == theirs.height {
            let row = mine.width * 3
            let differing = (0..<mine.height).filter { y in mine.pixels[y * row..<(y + 1) * row] != theirs.pixels[y * row..<(y + 1) * row] }
            XCTAssertFalse(differing.isEmpty, "the headings should differ")
            XCTAssertLessThan(differing.max() ?? 0, 24, "rows below the heading differ: \(differing)")
        }

        // Nothing but the page and what it references.
        let files = try FileManager.default.contentsOfDirectory(atPath: out)
        XCTAssertEqual(Set(files), Set(references).union(["index.html"]))
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.contains(".partial") })

        // The numbers behind the page, from the other commands.
        let compareRun = try CLI.run(["compare", study, "--json"])
        let compareText = compareRun.stdout
        let compare = try json(compareRun)
        var evaluationTexts: [String] = []
        let sources = try XCTUnwrap(compare["sources"] as? [String])
        XCTAssertEqual(sources, ["truth", "annotator-1", "annotator-2", "ensemble"])
        var evaluations: [String: [String: Any]] = [:]
        for pair in [["annotator-1", "annotator-2"], ["truth", "ensemble"]] {
            var args = ["evaluate", study + ":/labels/" + pair[0], study + ":/labels/" + pair[1], "--json"]
            if pair[1] == "ensemble" { args += ["--probabilities", study + ":/probabilities/ensemble"] }
            let run = try CLI.run(args)
            evaluationTexts.append(run.stdout)
            evaluations[pair.joined(separator: ",")] = try json(run)
        }
        let truthVolume = try StudyFile.read(path: study)
        let names = LabelSchema.platelet.names

        func expectText(_ node: MarkupNode, _ expected: String, _ what: String) {
            if node.name == "rect" || node.name == "circle" || node.name == "line" { return }   // marks, not text
            XCTAssertEqual(node.fullText, expected, what)
        }
        // Foundation's JSON parser may differ from Swift's in the last bit, so values are compared
        // both as numbers and as the exact text the other command printed.
        let jsonTexts = [compareText] + evaluationTexts
        func same(_ exact: Double?, _ expected: Double?, _ value: String, _ what: String) {
            XCTAssertEqual(exact == nil, expected == nil, what)
            if let exact, let expected {
                XCTAssertEqual(exact, expected, accuracy: 1e-12, what)
                XCTAssertTrue(jsonTexts.contains { $0.contains(value) }, "\(what): \(value) not printed by compare/evaluate")
            }
        }
        func score(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }
        func count(_ n: Int) -> String {
            let f = NumberFormatter(); f.numberStyle = .decimal; f.groupingSeparator = ","; f.locale = Locale(identifier: "en_US")
            return f.string(from: NSNumber(value: n))!
        }
        var checked: [String: Int] = [:]
        let tagged = (page.all + charts.values.flatMap(\.all)).filter { $0.attributes["data-metric"] != nil }
        for node in tagged {
            let a = node.attributes
            let metric = a["data-metric"]!, value = a["data-value"]!
            let exact: Double? = value == "null" ? nil : Double(value)
            checked[metric, default: 0] += 1
            let what = "\(metric) \(a)"
            switch metric {
            case "miou_org", "miou_all":
                let i = sources.firstIndex(of: a["data-a"]!)!, j = sources.firstIndex(of: a["data-b"]!)!
                let expected = double((compare[metric] as! [[Any]])[i][j])
                same(exact, expected, value, what)
                expectText(node, score(expected), what)
            case "volume_fraction":
                let fractions = compare["volume_fractions"] as! [String: [String: Any]]
                let expected = double(fractions[a["data-source"]!]![names[Int(a["data-class"]!)!]])
                same(exact, expected, value, what)
                expectText(node, expected.map { String(format: "%.2f%%", 100 * $0) } ?? "n/a", what)
            case "confusion", "confusion_row_share", "truth_voxels", "prediction_voxels", "iou", "voxels", "pair_miou_all", "pair_miou_org",
                 "binary_labels":
                let key = a["data-pair"] ?? "truth,\(a["data-source"] ?? "")"
                let e = try XCTUnwrap(evaluations[key], what)
                let c = e["confusion"] as! [[Int]]
                switch metric {
                case "confusion":
                    let n = c[Int(a["data-row"]!)!][Int(a["data-column"]!)!]
                    XCTAssertEqual(Int(value), n, what); expectText(node, count(n), what)
                case "confusion_row_share":
                    let row = c[Int(a["data-row"]!)!], n = row[Int(a["data-column"]!)!], total = row.reduce(0, +)
                    let share = total == 0 ? nil : Double(n) / Double(total)
                    XCTAssertEqual(exact == nil, share == nil, what)   // derived from the printed counts
                    if let exact, let share { XCTAssertEqual(exact, share, accuracy: 1e-12, what) }
                    expectText(node, share == nil ? "n/a" : n == 0 ? "0" : String(format: "%.1f%%", 100 * share!), what)
                case "truth_voxels":
                    let n = c[Int(a["data-class"]!)!].reduce(0, +)
                    XCTAssertEqual(Int(value), n, what); expectText(node, count(n), what)
                case "prediction_voxels":
                    let n = c.map { $0[Int(a["data-class"]!)!] }.reduce(0, +)
                    XCTAssertEqual(Int(value), n, what); expectText(node, count(n), what)
                case "iou":
                    let expected = double((e["iou"] as! [Any])[Int(a["data-class"]!)!])
                    same(exact, expected, value, what); expectText(node, score(expected), what)
                case "voxels":
                    XCTAssertEqual(Int(value), e["voxels"] as? Int, what); expectText(node, count(e["voxels"] as! Int), what)
                case "pair_miou_all", "pair_miou_org":
                    let expected = double(e[metric == "pair_miou_all" ? "miou_all" : "miou_org"])
                    same(exact, expected, value, what); expectText(node, score(expected), what)
                default:   // binary_labels: the evaluate confusion collapsed to background / the rest
                    var b = [[0, 0], [0, 0]]
                    for t in 0..<7 { for p in 0..<7 { b[t == 0 ? 0 : 1][p == 0 ? 0 : 1] += c[t][p] } }
                    let iou0 = Double(b[0][0]) / Double(b[0][0] + b[0][1] + b[1][0])
                    let iou1 = Double(b[1][1]) / Double(b[1][1] + b[0][1] + b[1][0])
                    XCTAssertEqual(exact!, (iou0 + iou1) / 2, accuracy: 1e-12, what)
                    expectText(node, score(exact), what)
                }
            case "binary_sweep":
                let sweep = evaluations["truth,ensemble"]!["binary_sweep"] as! [[String: Any]]
                let point = try XCTUnwrap(sweep.first { double($0["threshold"]) == Double(a["data-threshold"]!) }, what)
                same(exact, double(point["miou"]), value, what)
                expectText(node, score(exact), what)
            case "threshold":
                XCTAssertTrue(ReportCLITests.thresholds.contains(Double(value)!), what)
                expectText(node, String(format: "%.1f", Double(value)!), what)
            case "labeled_voxels":
                let source = truthVolume.source(named: a["data-source"]!)!
                let n = source.mask.map { $0.data.filter { $0 != 0 }.count } ?? source.labels.data.count
                XCTAssertEqual(Int(value), n, what); expectText(node, count(n), what)
            case "shape":
                XCTAssertEqual(value, "8,128,128", what)
            case "resolution_nm":
                XCTAssertEqual(value, (truthVolume.resolutionNM ?? []).map { "\($0)" }.joined(separator: ","), what)
            case "slice_disagreement":
                // Counted here voxel by voxel, inside both sources' labeled regions.
                let pair = a["data-pair"]!.split(separator: ",").map(String.init)
                let sa = truthVolume.source(named: pair[0])!, sb = truthVolume.source(named: pair[1])!
                func differing(_ z: Int) -> Int {
                    let n = 128 * 128
                    return (z * n..<(z + 1) * n).filter { i in
                        sa.labels.data[i] != sb.labels.data[i] && (sa.mask?.data[i] ?? 1) != 0 && (sb.mask?.data[i] ?? 1) != 0
                    }.count
                }
                let z = Int(a["data-z"]!)!
                XCTAssertEqual(Int(value), differing(z), what); expectText(node, count(differing(z)), what)
                let all = (0..<8).map(differing).sorted(by: >)
                XCTAssertGreaterThanOrEqual(differing(z), all[1], "\(what): not among the 2 slices of most disagreement")
            case "review_records":
                XCTAssertEqual(value, "4", what); expectText(node, "4", what)
            case "review_withdrawn":
                XCTAssertEqual(value, "1", what); expectText(node, "1", what)
            case "review_decisions":
                let expected = a["data-take"] == "a" && a["data-classes"] == "alpha granule,cell" ? 1 : 0
                XCTAssertEqual(Int(value), expected, what); expectText(node, String(expected), what)
            case "review_regions":
                XCTAssertEqual(value, "1", what); expectText(node, "1", what)
            case "review_line":
                XCTAssertEqual(value, "4", what); expectText(node, "4", what)
            default:
                XCTFail("unexpected metric \(metric)")
            }
        }
        // Every kind of number appears, in the quantities the report must have.
        XCTAssertEqual(checked["miou_org"], 16)              // 4×4 heat map cells
        XCTAssertEqual(checked["miou_all"], 16)
        XCTAssertEqual(checked["confusion"], 2 * 49)
        XCTAssertEqual(checked["confusion_row_share"], 2 * 49)
        // Tables show every class ("n/a" included); the chart has a bar per defined IoU.
        let definedIoU = evaluations.values.map { ($0["iou"] as! [Any]).filter { !($0 is NSNull) }.count }.reduce(0, +)
        XCTAssertEqual(checked["iou"], 2 * 7 + definedIoU)
        XCTAssertEqual(checked["volume_fraction"], 4 * 5 * 2) // bar chart and table
        XCTAssertEqual(checked["binary_sweep"], 11 * 2)      // chart points and table
        XCTAssertEqual(checked["slice_disagreement"], 4)
        XCTAssertEqual(checked["labeled_voxels"], 4)
        XCTAssertNotNil(checked["binary_labels"])
        XCTAssertNotNil(checked["review_decisions"])

        // No untagged number: numeric table cells and chart texts are tagged or are axis ticks.
        let known = sources + names + ["MIoU(org)", "MIoU(all)", "(2 classes)"]
        func hasNumber(_ text: String) -> Bool {
            var t = text
            for k in known.sorted(by: { $0.count > $1.count }) { t = t.replacingOccurrences(of: k, with: "") }
            return t.contains { $0.isNumber }
        }
        for node in page.all where node.name == "td" && node.classes().contains("num") && hasNumber(node.fullText) {
            XCTAssertNotNil(node.attributes["data-metric"], "untagged number \(node.fullText)")
        }
        for (name, svg) in charts {
            for node in svg.all where node.name == "text" && hasNumber(node.text) {
                XCTAssertTrue(node.attributes["data-metric"] != nil || !node.classes().isDisjoint(with: ["tick-label", "chart-title"]),
                              "\(name): untagged number \(node.text)")
            }
        }
        // The review section: the flag's note, escaped and read back intact.
        XCTAssertTrue(page.all.contains { $0.classes().contains("note") && $0.fullText == "membrane unclear <here> & there" })
    }

    static let thresholds = (0...10).map { Double($0) / 10 }

    func testAFailedReportLeavesNothingBehindAndKeepsTheEarlierOne() throws {
        let r0 = try CLI.run(["phantom", study, "--shape", "4x64x64", "--seed", "2"])
        XCTAssertEqual(r0.status, 0, r0.stderr)
        // Labels outside a three-class schema are found while counting, after the report began.
        try ##"{"classes":[{"name":"background"},{"name":"cell","color":"#5B8DB8"},{"name":"organelle","color":"#3BAA5C"}]}"##
            .write(toFile: dir + "/three.json", atomically: true, encoding: .utf8)
        let out = dir + "/report"
        let failed = try CLI.run(["report", study, "--schema", dir + "/three.json", "--out", out])
        XCTAssertEqual(failed.status, 2, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("s.h5:/labels/"), failed.stderr)
        XCTAssertEqual(failed.stderr.split(separator: "\n").filter { $0.hasPrefix("densecell:") }.count, 1, failed.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["s.h5", "three.json"])

        // A finished report is replaced only by a finished one.
        let ok = try CLI.run(["report", study, "--slices", "1", "--out", out])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/index.html"))
        let again = try CLI.run(["report", study, "--schema", dir + "/three.json", "--out", out])
        XCTAssertEqual(again.status, 2)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/index.html")), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["report", "s.h5", "three.json"])
        let replaced = try CLI.run(["report", study, "--slices", "0", "--out", out])
        XCTAssertEqual(replaced.status, 0, replaced.stderr)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: out).contains { $0.hasSuffix(".png") })

        // A directory that is not a report is never replaced.
        let other = dir + "/notes"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
        try "mine".write(toFile: other + "/keep.txt", atomically: true, encoding: .utf8)
        let refused = try CLI.run(["report", study, "--out", other])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("not a densecell report"), refused.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: other), ["keep.txt"])

        // Bad options: one line, status 2.
        for args in [["--pair", "truth"], ["--pair", "truth,nobody"], ["--sources", "truth,truth"], ["--slices", "-1"]] {
            let bad = try CLI.run(["report", study, "--out", dir + "/x"] + args)
            XCTAssertEqual(bad.status, 2, "\(args): \(bad.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x"))
        }
    }
}
