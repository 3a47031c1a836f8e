import XCTest
import DenseCellCore
import DenseCellIO
@testable import DenseCellEngine

final class EnsembleLoadTests: XCTestCase {
    func testTopKByEvaluationScoreAndChecksums() throws {
        let dir = NSTemporaryDirectory() + "dc-topk-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, score, seed) in [("a", 0.5, 1), ("b", 0.7, 2), ("c", Double.nan, 3), ("d", 0.6, 4)] {
            let m = NetworkModel.random(Architecture(width: 4), seed: seed)
            m.evalMiouAll = score
            try m.write(path: "\(dir)/\(name).h5")
        }
        // A non-model HDF5 file in the directory is ignored.
        do {
            let other = try HDF5File(path: "\(dir)/notes.h5", mode: .truncate)
            try other.writeArray("/x", dims: [1], data: [Float(1)], memoryType: .float32)
        }

        let all = try Ensemble.load(paths: [dir], top: nil)
        XCTAssertEqual(all.models.map { ($0.path! as NSString).lastPathComponent }, ["b.h5", "d.h5", "a.h5", "c.h5"])
        let top2 = try Ensemble.load(paths: [dir], top: 2)
        XCTAssertEqual(top2.models.map(\.evalMiouAll), [0.7, 0.6])
        XCTAssertEqual(top2.classNames, LabelSchema.platelet.names)

        // Checksums identify file contents: distinct per model, stable across loads, changed by a rewrite.
        XCTAssertEqual(Set(all.checksums).count, 4)
        XCTAssertEqual(try Ensemble.load(paths: [dir], top: 2).checksums, top2.checksums)
        let b = try NetworkModel.load(path: "\(dir)/b.h5")
        b.weights["pred3d"]!.bias[0] += 1
        try b.write(path: "\(dir)/b.h5")
        XCTAssertNotEqual(try Ensemble.load(paths: ["\(dir)/b.h5"], top: nil).checksums[0], top2.checksums[0])

        XCTAssertThrowsError(try Ensemble.load(paths: [dir], top: 0))
        XCTAssertThrowsError(try Ensemble.load(paths: [dir + "/missing"], top: nil))
    }
}
