import XCTest
import DenseCellIO
import Foundation

/// End-to-end runs of `densecell train` on small phantoms (the built binary).
final class TrainCLITests: XCTestCase {
    func testTrainWritesModelsLogsAndResumes() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/train.h5", "--shape", "6x48x48", "--seed", "1"]).status, 0)
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/eval.h5", "--shape", "5x32x32", "--seed", "2"]).status, 0)
        let args = ["train", "--train", "\(dir)/train.h5", "--eval", "\(dir)/eval.h5", "--out", "\(dir)/models",
                    "--instances", "2", "--seed", "5", "--width", "4", "--window", "5x32x32", "--eval-interval", "2"]
        let r = try CLI.run(args + ["--steps", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for seed in [5, 6] {
            let file = try HDF5File(path: "\(dir)/models/model-seed\(seed).h5")
            XCTAssertEqual(file.attribute("/", "format")?.stringValue, "densecell-model")
            XCTAssertEqual(file.attribute("/", "seed")?.intValues, [seed])
            XCTAssertEqual(file.attribute("/", "steps")?.intValues, [2])
            XCTAssertEqual(file.attribute("/", "width")?.intValues, [4])
            XCTAssertNotNil(file.attribute("/", "eval_miou_all")?.doubleValues?.first.flatMap { $0.isNaN ? nil : $0 })
            let csv = try String(contentsOfFile: "\(dir)/models/model-seed\(seed).csv", encoding: .utf8)
            XCTAssertEqual(csv.split(separator: "\n").count, 2)
        }
        // Seeds differ, so do the weights.
        let a = try HDF5File(path: "\(dir)/models/model-seed5.h5").readArray("/weights/enc0.conv0/kernel", as: .float32, of: Float.self).data
        let b = try HDF5File(path: "\(dir)/models/model-seed6.h5").readArray("/weights/enc0.conv0/kernel", as: .float32, of: Float.self).data
        XCTAssertNotEqual(a, b)
        // The models segment.
        let s = try CLI.run(["segment", "\(dir)/eval.h5", "--models", "\(dir)/models", "--out", "\(dir)/seg.h5", "--window", "5x32x32"])
        XCTAssertEqual(s.status, 0, s.stderr)
        // --resume continues each log.
        let again = try CLI.run(args + ["--steps", "4", "--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        let csv = try String(contentsOfFile: "\(dir)/models/model-seed5.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.dropFirst().map { $0.split(separator: ",")[0] }, ["2", "4"])
    }

    func testBadInputExitsWithStatus2() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(try CLI.run(["phantom", "\(dir)/s.h5", "--shape", "5x32x32", "--seed", "1"]).status, 0)
        let base = ["train", "--train", "\(dir)/s.h5", "--eval", "\(dir)/s.h5", "--out", "\(dir)/m", "--width", "4"]
        let big = try CLI.run(base + ["--window", "5x64x64"])
        XCTAssertEqual(big.status, 2)
        XCTAssertTrue(big.stderr.contains("smaller than the window"), big.stderr)
        let odd = try CLI.run(base + ["--window", "5x30x30"])
        XCTAssertEqual(odd.status, 2)
        let missing = try CLI.run(["train", "--train", "\(dir)/none.h5", "--eval", "\(dir)/s.h5", "--out", "\(dir)/m"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("none.h5"), missing.stderr)
        let help = try CLI.run(["train", "--help"])
        XCTAssertTrue(help.stdout.contains("Examples:"))
    }
}
