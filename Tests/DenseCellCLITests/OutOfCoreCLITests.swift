import XCTest
import DenseCellCore
import DenseCellIO

/// Datasets the commands cannot or need not load: a header claiming 100000³ voxels, an empty
/// dataset, images holding NaN or infinity. `info` describes them; the commands that would read
/// them say why not in one line naming the user's path, exit 2 and write nothing.
final class OutOfCoreCLITests: XCTestCase {
    var dir: String!
    override func setUp() { dir = CLI.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    var huge: String { CLI.fixtures + "/h5py-huge.h5" }

    func assertRefused(_ args: [String], _ needle: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.run(args)
        XCTAssertEqual(r.status, 2, args.joined(separator: " ") + "\n" + r.stderr, file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("densecell: "), r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(needle), "expected \"\(needle)\" in: " + r.stderr, file: file, line: line)
        XCTAssertEqual(r.stdout, "", file: file, line: line)
    }

    func testInfoPrintsTheShapeAndStorageOfAHugeDataset() throws {
        let r = try CLI.run(["info", huge])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("  /image  100000×100000×100000  uint8  chunks 1×256×256, gzip 4"), r.stdout)
        XCTAssertTrue(lines.contains("  /labels/truth  100000×100000×100000  uint8  chunks 1×256×256, gzip 4"), r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("    no statistics: one z-plane of 100000×100000 voxels needs 84 GiB, more than the ") }, r.stdout)
        let uncountable = lines.firstIndex(of: "  /uncountable  1099511627776×1099511627776×1099511627776  uint8  chunks 1×1024×1024")
        XCTAssertEqual(uncountable.map { lines[$0 + 1] }, "    no statistics: shape 1099511627776×1099511627776×1099511627776 has more voxels than can be counted", r.stdout)
        XCTAssertTrue(lines.contains("  /empty  0×32×32  uint8  contiguous"), r.stdout)
        XCTAssertTrue(lines.contains("    empty (no values)"), r.stdout)
        // Statistics leave non-finite values out and say how many there were.
        XCTAssertTrue(lines.contains("    1 NaN and 0 infinite values (left out of range and mean)"), r.stdout)
        let nan = lines.firstIndex(of: "  /nan_image  2×4×4  float32  contiguous")!
        // 0…31 without 27 (the NaN at z 1, y 2, x 3): mean 469 / 31.
        XCTAssertEqual(lines[nan + 1], "    range 0…31  mean " + String(format: "%.4g", 469.0 / 31))
    }

    func testCommandsThatWouldReadAHugeDatasetSayWhyNot() throws {
        try assertRefused(["evaluate", huge + ":/labels/truth", huge + ":/labels/annotator-1"],
                          huge + ":/labels/truth: one z-plane of 100000×100000 voxels")
        try assertRefused(["compare", huge], huge + ":/labels/truth: one z-plane of 100000×100000 voxels")
        try assertRefused(["evaluate", huge + ":/uncountable", huge + ":/labels/truth"], huge + ":/uncountable: shape 1099511627776×")
        try assertRefused(["export", huge, "--z", "0", "--out", dir + "/figures"],
                          huge + ":/image: one z-plane of 100000×100000 voxels needs")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/figures"), "no output directory made")
    }

    func testEmptyAndNonFiniteDatasetsAreRefused() throws {
        try assertRefused(["evaluate", huge + ":/empty", huge + ":/empty"], huge + ":/empty: empty dataset (shape 0×32×32)")
        try assertRefused(["export", "--image", huge + ":/nan_image", "--z", "0", "--out", dir + "/nan"],
                          huge + ":/nan_image: the image holds NaN at (z 1, y 2, x 3)")
        try assertRefused(["export", "--image", huge + ":/inf_image", "--z", "1", "--out", dir + "/inf"],
                          huge + ":/inf_image: the image holds infinity at (z 0, y 1, x 1)")
        // segment used to label such an image all "cell"; it refuses it and writes nothing.
        let models = CLI.packageRoot.appendingPathComponent("Assets/models/demo").path
        let segment = try CLI.run(["segment", huge + ":/nan_image", "--models", models, "--out", dir + "/seg.h5"])
        XCTAssertEqual(segment.status, 2, segment.stderr)
        XCTAssertTrue(segment.stderr.split(separator: "\n").last?.hasPrefix("densecell: " + huge + ":/nan_image: the image holds NaN at (z 1, y 2, x 3)") == true,
                      segment.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [], "nothing written")
    }
}
