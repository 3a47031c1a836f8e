import XCTest
import DenseCellCore
@testable import DenseCellIO
@testable import DenseCellReport

/// Counting slab by slab must give exactly what the metrics give over whole volumes.
final class StreamingStatisticsTests: XCTestCase {
    func testSlabCountsEqualWholeVolumeMetrics() throws {
        var rng = SplitMix64(seed: 5)
        let shape = Shape3(7, 12, 10)
        func labels() -> Volume<UInt8> { Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.int(0, 6)) }) }
        let truth = labels(), a = labels()
        let b = Volume(shape: shape, data: truth.data.map { rng.unit() < 0.3 ? UInt8(rng.int(0, 6)) : $0 })
        let mask = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.unit() < 0.7 ? 1 : 0) })
        var probabilities = [Float](repeating: 0, count: 7 * shape.count)
        for i in 0..<shape.count { probabilities[i] = Float(rng.unit()) }
        let image = Volume(shape: shape, data: (0..<shape.count).map { _ in Float(rng.int(0, 255)) })
        let study = Study(image: image, labels: [LabelSource(name: "truth", role: .truth, labels: truth),
                                                 LabelSource(name: "a", role: .annotator, labels: a, mask: mask),
                                                 LabelSource(name: "b", role: .algorithm, labels: b)],
                          probabilities: [ProbabilitySource(name: "b", classes: 7, shape: shape, data: probabilities)])
        let path = NSTemporaryDirectory() + "report-stream-\(UUID().uuidString).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try StudyFile.write(study, path: path)

        let reader = try OpenedStudy.open(study: path, schema: .platelet)
        let plan = ReportPlan(sources: ["truth", "a", "b"], pairs: [["a", "b"], ["truth", "b"]], truth: "truth",
                              probabilities: [(name: "b", labels: "b")], slices: 2)
        // One slice per slab (the smallest bound), and everything in one slab.
        for slabBytes in [1, 1 << 30] {
            var reported: [Int] = []
            let s = try ReportStatistics.count(reader, plan: plan, slabBytes: slabBytes) { done, _ in reported.append(done) }
            XCTAssertEqual(reported.last, shape.z)
            if slabBytes == 1 { XCTAssertEqual(reported, Array(0...shape.z)) }
            let whole = Metrics.pairwise(study.labels, schema: .platelet)
            XCTAssertEqual(s.pairwise.miouOrg, whole.miouOrg)
            XCTAssertEqual(s.pairwise.miouAll, whole.miouAll)
            XCTAssertEqual(s.confusion[0], Metrics.confusion(truth: a, prediction: b, classes: 7, masks: [mask]))
            XCTAssertEqual(s.confusion[1], Metrics.confusion(truth: truth, prediction: b, classes: 7))
            XCTAssertEqual(s.fractions["a"]!, Metrics.volumeFractions(a, schema: .platelet, masks: [mask]))
            XCTAssertEqual(s.labeledVoxels["a"], mask.data.filter { $0 != 0 }.count)
            // Against what the file holds: probabilities are stored as float16.
            let stored = try StudyFile.read(path: path).probabilities[0]
            let sweep = Metrics.binarySweep(probabilities: stored, truth: truth,
                                            thresholds: ReportStatistics.thresholds)
            XCTAssertEqual(s.sweeps[0].map(\.miou), sweep.map(\.miou))
            let perSlice = Metrics.confusionPerSlice(truth: a, prediction: b, classes: 7, masks: [mask])
            XCTAssertEqual(s.disagreement[0], perSlice.map { c in c.total - (0..<7).reduce(0) { $0 + c[$1, $1] } })
            let worst = s.worstSlices(pair: 0, count: 3)
            XCTAssertEqual(worst.count, 3)
            XCTAssertEqual(worst, Array(s.disagreement[0].indices.sorted { (s.disagreement[0][$0], -$0) > (s.disagreement[0][$1], -$1) }.prefix(3)))
            // Same display window as `export` computes over the whole image.
            XCTAssertEqual(s.grayWindow.lo, Overlay.displayRange(image).lo)
            XCTAssertEqual(s.grayWindow.hi, Overlay.displayRange(image).hi)
            // The binarized labels against binarized truth, counted independently here.
            var c = ConfusionMatrix(classes: 2)
            for i in 0..<shape.count { c[truth.data[i] == 0 ? 0 : 1, b.data[i] == 0 ? 0 : 1] += 1 }
            XCTAssertEqual(s.binarizedLabels[0], c.miou(over: [0, 1]))
        }
    }
}

final class ReportDirectoryTests: XCTestCase {
    /// What a killed run left beside the report is cleaned up by the next run; a report moved
    /// aside by a run killed mid-replacement is put back.
    func testLeftoversOfKilledRunsAreCleanedUp() throws {
        let dir = NSTemporaryDirectory() + "report-dir-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        // A process id that is not running: a child that has exited and been reaped.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try child.run(); child.waitUntilExit()
        let dead = child.processIdentifier
        try fm.createDirectory(atPath: "\(dir)/.rep.partial-\(dead)", withIntermediateDirectories: false)
        try fm.createDirectory(atPath: "\(dir)/.rep.replaced-\(dead)", withIntermediateDirectories: false)
        try "old".write(toFile: "\(dir)/.rep.replaced-\(dead)/index.html", atomically: true, encoding: .utf8)
        try fm.createDirectory(atPath: "\(dir)/.other.partial-\(dead)", withIntermediateDirectories: false)

        let temporary = try ReportDirectory.begin(dir + "/rep")
        XCTAssertEqual(try String(contentsOfFile: dir + "/rep/index.html", encoding: .utf8), "old")
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: dir)),
                       ["rep", ".other.partial-\(dead)", (temporary as NSString).lastPathComponent])
        try "new".write(toFile: temporary + "/index.html", atomically: true, encoding: .utf8)
        try ReportDirectory.commit(temporary, to: dir + "/rep")
        XCTAssertEqual(try String(contentsOfFile: dir + "/rep/index.html", encoding: .utf8), "new")
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: dir)), ["rep", ".other.partial-\(dead)"])
    }
}
