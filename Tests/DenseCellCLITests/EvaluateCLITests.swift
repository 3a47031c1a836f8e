import XCTest
import DenseCellCore
@testable import DenseCellIO

final class EvaluateCLITests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ path: String, _ datasets: [(String, Volume<UInt8>)]) throws {
        let file = try HDF5File(path: path, mode: .truncate)
        for (name, v) in datasets {
            try file.writeArray(name, dims: [v.shape.z, v.shape.y, v.shape.x], data: v.data, memoryType: .uint8)
        }
        try file.flush()
    }

    func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any], text)
    }

    func randomLabels(_ shape: Shape3, _ rng: inout SplitMix64, absent: Set<UInt8> = []) -> Volume<UInt8> {
        Volume(shape: shape, data: (0..<shape.count).map { _ in
            var v: UInt8
            repeat { v = UInt8(rng.int(0, 6)) } while absent.contains(v)
            return v
        })
    }

    func testJSONMatchesTheLibrary() throws {
        var rng = SplitMix64(seed: 11)
        let shape = Shape3(4, 20, 24)
        let truth = randomLabels(shape, &rng, absent: [3])
        let pred = Volume(shape: shape, data: truth.data.map { rng.unit() < 0.3 ? UInt8(rng.int(0, 6)) : $0 == 3 ? 0 : $0 })
        let mask = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.unit() < 0.75 ? 1 : 0) })
        let cell = Volume(shape: shape, data: (0..<shape.count).map { i in UInt8(i % 24 < 16 ? 1 : 0) })
        try write(dir + "/t.h5", [("/labels/truth", truth), ("/mask", mask), ("/cell", cell)])
        try write(dir + "/p.h5", [("/labels/pred", pred)])
        let r = try CLI.run(["evaluate", dir + "/t.h5:/labels/truth", dir + "/p.h5:/labels/pred",
                             "--mask", dir + "/t.h5:/mask", "--cell-mask", dir + "/t.h5:/cell", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        // Exactly the documented keys (docs/ARCHITECTURE.md, "Metrics"), in order.
        let keys = ["classes", "voxels", "confusion", "iou", "miou_all", "miou_org", "volume_fractions"]
        let positions = keys.map { r.stdout.range(of: "\"\($0)\":")?.lowerBound }
        XCTAssertTrue(positions.allSatisfy { $0 != nil }, r.stdout)
        XCTAssertEqual(positions.map { $0! }, positions.map { $0! }.sorted())

        let o = try json(r.stdout)
        let c = Metrics.confusion(truth: truth, prediction: pred, classes: 7, masks: [mask])
        XCTAssertEqual(o["classes"] as? [String], LabelSchema.platelet.names)
        XCTAssertEqual(o["voxels"] as? Int, mask.data.filter { $0 != 0 }.count)
        XCTAssertEqual(o["confusion"] as? [[Int]], (0..<7).map { t in (0..<7).map { c[t, $0] } })
        let iou = try XCTUnwrap(o["iou"] as? [Any])
        for (j, value) in c.iou().enumerated() {
            if let value { XCTAssertEqual(iou[j] as? Double ?? -1, value, accuracy: 1e-12) } else { XCTAssertTrue(iou[j] is NSNull) }
        }
        XCTAssertEqual(o["miou_all"] as? Double ?? -1, c.miou(over: Array(0..<7))!, accuracy: 1e-12)
        XCTAssertEqual(o["miou_org"] as? Double ?? -1, c.miou(over: [2, 3, 4, 5, 6])!, accuracy: 1e-12)
        let fractions = try XCTUnwrap(o["volume_fractions"] as? [String: [String: Any]])
        XCTAssertEqual(Set(fractions.keys), ["truth", "prediction"])
        let expected = Metrics.volumeFractions(truth, schema: .platelet, cellMask: cell, masks: [mask])
        XCTAssertEqual(Set(fractions["truth"]!.keys), ["mitochondrion", "canalicular channel", "alpha granule", "dense granule", "dense granule core"])
        XCTAssertEqual(fractions["truth"]!["alpha granule"] as? Double ?? -1, expected[4]!, accuracy: 1e-12)
        XCTAssertEqual(fractions["truth"]!["canalicular channel"] as? Double, 0)
    }

    func testSourceMaskAttributeAndBinarySweep() throws {
        var rng = SplitMix64(seed: 8)
        let shape = Shape3(3, 10, 12)
        let truth = randomLabels(shape, &rng)
        let pred = randomLabels(shape, &rng)
        let labeled = Volume(shape: shape, data: (0..<shape.count).map { i in UInt8(i % 12 < 6 ? 1 : 0) })
        let p0 = (0..<shape.count).map { _ in rng.unit() }
        do {
            let file = try HDF5File(path: dir + "/s.h5", mode: .truncate)
            for (name, v) in [("/labels/truth", truth), ("/labels/pred", pred), ("/masks/truth", labeled)] {
                try file.writeArray(name, dims: [3, 10, 12], data: v.data, memoryType: .uint8)
            }
            try file.setAttribute("/labels/truth", "mask", .string("/masks/truth"))
            try file.writeArray("/probabilities/pred", dims: [2, 3, 10, 12], data: p0 + p0.map { 1 - $0 }, memoryType: .float32)
            try file.flush()
        }
        let r = try CLI.run(["evaluate", dir + "/s.h5:/labels/truth", dir + "/s.h5:/labels/pred", "--json",
                             "--probabilities", dir + "/s.h5:/probabilities/pred"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        // The truth's own mask (its `mask` attribute) restricts the count to half the voxels.
        XCTAssertEqual(o["voxels"] as? Int, shape.count / 2)
        let c = Metrics.confusion(truth: truth, prediction: pred, classes: 7, masks: [labeled])
        XCTAssertEqual(o["miou_all"] as? Double ?? -1, c.miou(over: Array(0..<7))!, accuracy: 1e-12)
        let sweep = try XCTUnwrap(o["binary_sweep"] as? [[String: Double]])
        XCTAssertEqual(sweep.map { $0["threshold"]! }, (0...10).map { Double($0) / 10 })
        let expected = Metrics.binarySweep(probabilities: ProbabilitySource(name: "p", classes: 2, shape: shape, data: p0 + p0.map { 1 - $0 }),
                                           truth: truth, thresholds: (0...10).map { Double($0) / 10 }, masks: [labeled])
        for (a, b) in zip(sweep, expected) { XCTAssertEqual(a["miou"]!, b.miou!, accuracy: 1e-12) }
        let table = try CLI.run(["evaluate", dir + "/s.h5:/labels/truth", dir + "/s.h5:/labels/pred",
                                 "--probabilities", dir + "/s.h5:/probabilities/pred"])
        XCTAssertTrue(table.stdout.contains("t = 0.5"), table.stdout)
        let bad = try CLI.run(["evaluate", dir + "/s.h5:/labels/truth", dir + "/s.h5:/labels/pred",
                               "--probabilities", dir + "/s.h5:/labels/pred"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("/labels/pred"), bad.stderr)
    }

    func testCustomSchema() throws {
        let schema = dir + "/schema.json"
        try Data(##"{"classes":[{"name":"bg"},{"name":"nucleus","color":"#112233"},{"name":"vesicle","color":"#445566"}],"organelles":[2]}"##.utf8)
            .write(to: URL(fileURLWithPath: schema))
        // truth 0 1 2 2, prediction 0 2 2 1: IoU(vesicle) = 1/(2+2−1) = 1/3, IoU(nucleus) = 0, IoU(bg) = 1.
        try write(dir + "/s.h5", [("/t", Volume(shape: Shape3(1, 1, 4), data: [0, 1, 2, 2])),
                                  ("/p", Volume(shape: Shape3(1, 1, 4), data: [0, 2, 2, 1])),
                                  ("/x", Volume(shape: Shape3(1, 1, 4), data: [0, 1, 2, 3]))])
        let r = try CLI.run(["evaluate", dir + "/s.h5:/t", dir + "/s.h5:/p", "--schema", schema, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try json(r.stdout)
        XCTAssertEqual(o["classes"] as? [String], ["bg", "nucleus", "vesicle"])
        XCTAssertEqual(o["miou_org"] as? Double ?? -1, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(o["miou_all"] as? Double ?? -1, (1 + 0 + 1.0 / 3) / 3, accuracy: 1e-12)
        XCTAssertEqual((o["volume_fractions"] as? [String: [String: Double]])?["truth"], ["vesicle": 2.0 / 3])
        // Class 3 exists in the platelet schema but not in this one.
        let bad = try CLI.run(["evaluate", dir + "/s.h5:/t", dir + "/s.h5:/x", "--schema", schema])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("/x") && bad.stderr.contains("outside the schema"), bad.stderr)
    }

    func testTableIsReadable() throws {
        var rng = SplitMix64(seed: 2)
        let shape = Shape3(2, 8, 8)
        let truth = randomLabels(shape, &rng, absent: [6])
        try write(dir + "/t.h5", [("/labels/truth", truth), ("/labels/same", truth)])
        let r = try CLI.run(["evaluate", dir + "/t.h5:/labels/truth", dir + "/t.h5:/labels/same"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("alpha granule"))
        XCTAssertTrue(r.stdout.contains("MIoU(org)"))
        // Identical sources: every present class has IoU 1, the absent one is n/a.
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.hasPrefix("6 dense granule core") })
        XCTAssertTrue(line.hasSuffix("n/a"), String(line))
        XCTAssertTrue(r.stdout.split(separator: "\n").contains { $0.hasPrefix("MIoU(all)") && $0.hasSuffix("1.0000") })
        XCTAssertTrue(r.stdout.contains("100.00%"))
    }

    func testBadInputIsOneLineAndStatus2() throws {
        var rng = SplitMix64(seed: 5)
        let a = randomLabels(Shape3(2, 8, 8), &rng), b = randomLabels(Shape3(2, 8, 9), &rng)
        let outside = Volume<UInt8>(shape: Shape3(2, 8, 8), data: [UInt8](repeating: 9, count: 128))
        try write(dir + "/f.h5", [("/a", a), ("/b", b), ("/bad", outside)])
        let cases: [([String], String)] = [
            (["evaluate", dir + "/f.h5:/a", dir + "/f.h5:/b"], "shape"),
            (["evaluate", dir + "/f.h5:/a", dir + "/f.h5:/bad"], "outside the schema"),
            (["evaluate", dir + "/f.h5:/a", dir + "/f.h5:/nothing"], "/nothing"),
            (["evaluate", dir + "/f.h5:/a", dir + "/f.h5:/a", "--mask", dir + "/f.h5:/b"], "shape"),
            (["evaluate", dir + "/nope.h5:/a", dir + "/f.h5:/a"], "nope.h5"),
            (["compare", dir + "/f.h5"], "no label sources"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 2, args.joined(separator: " ") + "\n" + r.stderr)
            XCTAssertTrue(r.stderr.contains(needle), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }

    func testCompareOnAPhantom() throws {
        let study = dir + "/s.h5"
        XCTAssertEqual(try CLI.run(["phantom", study, "--shape", "8x128x128", "--seed", "4"]).status, 0)
        let r = try CLI.run(["compare", study, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let keys = ["sources", "miou_org", "miou_all", "volume_fractions"]
        let positions = keys.map { r.stdout.range(of: "\"\($0)\":")!.lowerBound }
        XCTAssertEqual(positions, positions.sorted())
        let o = try json(r.stdout)
        let names = try XCTUnwrap(o["sources"] as? [String])
        XCTAssertEqual(Set(names), ["truth", "annotator-1", "annotator-2"])
        // The numbers are the library's on the study read back.
        let s = try StudyFile.read(path: study)
        let expected = Metrics.pairwise(names.map { s.source(named: $0)! }, schema: .platelet)
        let org = try XCTUnwrap(o["miou_org"] as? [[Double]])
        for i in 0..<3 { for j in 0..<3 { XCTAssertEqual(org[i][j], expected.miouOrg[i][j]!, accuracy: 1e-12) } }
        let fractions = try XCTUnwrap(o["volume_fractions"] as? [String: [String: Double]])
        XCTAssertEqual(fractions["truth"]!["mitochondrion"]!,
                       Metrics.volumeFractions(s.source(named: "truth")!.labels, schema: .platelet)[2]!, accuracy: 1e-12)

        // Tables with a chosen pair and a subset of sources.
        let t = try CLI.run(["compare", study, "--sources", "truth,annotator-2", "--pair", "truth,annotator-1"])
        XCTAssertEqual(t.status, 0, t.stderr)
        XCTAssertTrue(t.stdout.contains("MIoU(org)") && t.stdout.contains("MIoU(all)"))
        XCTAssertTrue(t.stdout.contains("confusion matrix (voxels; rows truth, columns annotator-1)"), t.stdout)
        XCTAssertFalse(t.stdout.split(separator: "\n").first { $0.hasPrefix("MIoU(org)") }!.contains("annotator-1"))
        // --mask restricts every pair (and the volume fractions) to its nonzero voxels.
        let half = Volume(shape: s.shape, data: (0..<s.shape.count).map { UInt8(($0 / 3) % 2) })
        try write(dir + "/m.h5", [("/mask", half)])
        let m = try CLI.run(["compare", study, "--json", "--mask", dir + "/m.h5:/mask", "--sources", "truth,annotator-1"])
        XCTAssertEqual(m.status, 0, m.stderr)
        let masked = try json(m.stdout)
        var pair = ["truth", "annotator-1"].map { s.source(named: $0)! }
        for i in 0..<2 { pair[i].mask = half }
        let expectedMasked = Metrics.pairwise(pair, schema: .platelet)
        let maskedOrg = try XCTUnwrap(masked["miou_org"] as? [[Double]])
        XCTAssertEqual(maskedOrg[0][1], expectedMasked.miouOrg[0][1]!, accuracy: 1e-12)
        XCTAssertNotEqual(maskedOrg[0][1], expected.miouOrg[names.firstIndex(of: "truth")!][names.firstIndex(of: "annotator-1")!]!, accuracy: 1e-9)

        let missing = try CLI.run(["compare", study, "--sources", "truth,nobody"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/labels/nobody"), missing.stderr)
    }
}
