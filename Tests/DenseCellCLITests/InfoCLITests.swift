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
