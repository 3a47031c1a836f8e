import XCTest
import DenseCellCore
import DenseCellIO

final class InfoCLITests: XCTestCase {
    func testInfoDescribesEveryDataset() throws {
        let r = try CLI.run(["info", CLI.fixtures + "/h5py-dtypes.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        func line(_ prefix: String) -> String? { lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix + " ") } }
        XCTAssertEqual(line("/uint8_gzip")?.contains("5×32×40  uint8  chunks 2×16×16, gzip 4"), true, r.stdout)
        XCTAssertEqual(line("/float16")?.contains("float16"), true)
        XCTAssertEqual(line("/ilastik_zyxc")?.contains("(read as 5×32×40)"), true)
        XCTAssertEqual(line("/strings")?.contains("not a volume"), true)
        XCTAssertTrue(r.stdout.contains("role=truth"))
        XCTAssertTrue(r.stdout.contains("resolution_nm=50,20,20"))
        // The truth labels get a class histogram with schema names; base % 7 over 6400 voxels.
        let truth = Volume(shape: Shape3(5, 32, 40), data: (0..<6400).map { i -> UInt8 in
            let z = i / 1280, y = (i / 40) % 32, x = i % 40
            return UInt8((z * 31 + y * 7 + x * 3) % 7)
        })
        let mitoCount = truth.data.filter { $0 == 2 }.count
        XCTAssertTrue(lines.contains { $0.contains("mitochondrion") && $0.contains(" \(mitoCount) ") }, r.stdout)
    }

    func testInfoOnTiffAndRange() throws {
        let r = try CLI.run(["info", CLI.fixtures + "/tifffile-uint16.tif"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("5×32×40  uint16"), r.stdout)
        XCTAssertTrue(r.stdout.contains("range 0…"), r.stdout)
    }

    /// Integer data keeps every digit (it was printed as 1.1e+12); other values stay short.
    func testIntegerRangesAreExact() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {   // closed at the end of the block, before the command opens it
            let file = try HDF5File(path: dir + "/wide.h5", mode: .truncate)
            try file.writeArray("/ids", dims: [2, 2, 2], data: [Int64(-5), 0, 7, 1_099_511_627_776, 3, 3, 3, 3], memoryType: .int64)
            try file.writeArray("/intensity", dims: [1, 1, 2], data: [Float(0.5), 123_456], memoryType: .float32)
        }
        let r = try CLI.run(["info", dir + "/wide.h5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("range -5…1099511627776  mean 1.374e+11"), r.stdout)
        XCTAssertTrue(r.stdout.contains("range 0.5…1.235e+05"), r.stdout)
        let json = try CLI.run(["info", dir + "/wide.h5:/ids", "--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertTrue(json.stdout.contains(#""range":[-5,1099511627776]"#), json.stdout)

        // Beyond 2^53 a double cannot hold every integer: the range is still exact.
        do {
            let file = try HDF5File(path: dir + "/huge-ids.h5", mode: .truncate)
            try file.writeArray("/ids", dims: [1, 1, 3], data: [Int64(9_007_199_254_740_993), 1, -9_007_199_254_740_995], memoryType: .int64)
        }
        let huge = try CLI.run(["info", dir + "/huge-ids.h5:/ids"])
        XCTAssertTrue(huge.stdout.contains("range -9007199254740995…9007199254740993"), huge.stdout)
        let hugeJSON = try CLI.run(["info", dir + "/huge-ids.h5:/ids", "--json"])
        XCTAssertTrue(hugeJSON.stdout.contains(#""range":[-9007199254740995,9007199254740993]"#), hugeJSON.stdout)
    }

    /// `info --json` states the same facts as the text, keys in a fixed order.
    func testJSONHasTheSameFacts() throws {
        let fixture = CLI.fixtures + "/h5py-dtypes.h5"
        let r = try CLI.run(["info", fixture, CLI.fixtures + "/tifffile-uint16.tif", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1)
        XCTAssertTrue(r.stdout.hasPrefix(#"{"files":[{"path":""# + fixture + #"","format":"hdf5","datasets":[{"name":"#), r.stdout)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let files = try XCTUnwrap(object["files"] as? [[String: Any]])
        XCTAssertEqual(files.map { $0["format"] as? String }, ["hdf5", "tiff"])
        let datasets = try XCTUnwrap(files[0]["datasets"] as? [[String: Any]])
        func dataset(_ name: String) throws -> [String: Any] { try XCTUnwrap(datasets.first { $0["name"] as? String == name }, name) }
        let gzip = try dataset("/uint8_gzip")
        XCTAssertEqual(gzip["shape"] as? [Int], [5, 32, 40])
        XCTAssertEqual(gzip["dtype"] as? String, "uint8")
        XCTAssertEqual(gzip["storage"] as? String, "chunks 2×16×16, gzip 4")
        XCTAssertEqual(try dataset("/ilastik_zyxc")["read_as"] as? [Int], [5, 32, 40])
        XCTAssertEqual(try dataset("/strings")["note"] as? String, "not a volume densecell reads")
        let truth = try XCTUnwrap(datasets.first { ($0["attributes"] as? [String: Any])?["role"] as? String == "truth" })
        // The histogram the text prints, class by class.
        let text = try CLI.run(["info", fixture + ":" + (truth["name"] as! String)])
        let histogram = try XCTUnwrap(truth["histogram"] as? [[String: Any]])
        XCTAssertEqual(histogram.count, 7)
        for entry in histogram {
            let line = "\(entry["class"] as! Int) \((entry["name"] as! String).padding(toLength: 20, withPad: " ", startingAt: 0))"
            XCTAssertTrue(text.stdout.contains(line) && text.stdout.contains(" \(entry["voxels"] as! Int)  "), "\(entry)\n\(text.stdout)")
        }
        XCTAssertEqual(truth["range"] as? [Int], [0, 6])
        let tiff = try XCTUnwrap((files[1]["datasets"] as? [[String: Any]])?.first)
        XCTAssertTrue(tiff["name"] is NSNull)
        XCTAssertEqual(tiff["storage"] as? String, "multipage TIFF")
    }

    func testErrorsAreOneLineWithStatus2() throws {
        let missing = try CLI.run(["info", "/nonexistent/study.h5"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "densecell: /nonexistent/study.h5: no such file\n")
        let noDataset = try CLI.run(["info", CLI.fixtures + "/h5py-dtypes.h5:/labels/none"])
        XCTAssertEqual(noDataset.status, 2)
        XCTAssertTrue(noDataset.stderr.hasSuffix("h5py-dtypes.h5:/labels/none: no such dataset\n"), noDataset.stderr)
        let usage = try CLI.run(["info"])
        XCTAssertEqual(usage.status, 2)
        let help = try CLI.run(["info", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("Examples:"))
    }

    func testTruncatedFileIsReported() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.fixtures + "/h5py-dtypes.h5"))
        try data.prefix(4000).write(to: URL(fileURLWithPath: dir + "/cut.h5"))
        let r = try CLI.run(["info", dir + "/cut.h5"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cut.h5"), r.stderr)
        XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
    }
}
