import XCTest
import DenseCellCore
@testable import DenseCellIO

final class PhantomCLITests: XCTestCase {
    func testWritesACompleteStudyDeterministically() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = dir + "/a.h5", b = dir + "/b.h5", preview = dir + "/a.png"
        let r = try CLI.run(["phantom", a, "--shape", "10x112x112", "--seed", "9", "--preview", preview])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("100%"), "progress lines on a non-terminal stderr: \(r.stderr)")
        XCTAssertEqual(try CLI.run(["phantom", b, "--shape", "10x112x112", "--seed", "9"]).status, 0)

        let file = try HDF5File(path: a)
        let image = try file.info("/image")
        XCTAssertEqual(image.dims, [10, 112, 112])
        XCTAssertEqual(image.typeName, "uint8")
        XCTAssertEqual(file.attribute("/image", "resolution_nm")?.doubleValues, [50, 20, 20])
        XCTAssertEqual(StudyFile.labelNames(file).sorted(), ["annotator-1", "annotator-2", "truth"])
        XCTAssertEqual(file.attribute("/labels/truth", "role")?.stringValue, "truth")
        XCTAssertEqual(file.attribute("/labels/annotator-1", "role")?.stringValue, "annotator")
        XCTAssertEqual(file.attribute("/labels/annotator-2", "role")?.stringValue, "annotator")

        // The same seed gives the same study, read back through the study reader.
        let sa = try StudyFile.read(path: a), sb = try StudyFile.read(path: b)
        XCTAssertEqual(sa.image, sb.image)
        for name in Phantom.sourceNames { XCTAssertEqual(sa.source(named: name)?.labels, sb.source(named: name)?.labels) }
        // And what the library generates in memory.
        let direct = Phantom.generate(shape: Shape3(10, 112, 112), seed: 9)
        XCTAssertEqual(sa.image, direct.image)
        XCTAssertEqual(sa.source(named: "truth")?.labels, direct.labels[0].labels)

        let png = try PNGImage.read(path: preview)
        XCTAssertEqual(png.width, 224)
        XCTAssertEqual(png.height, 112)
        XCTAssertEqual(png.channels, 3)
    }

    func testBadShapeIsAUsageErrorAndLeavesNoFile() throws {
        let dir = CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for bad in ["48x384", "0x10x10", "4x8x8", "axbxc"] {
            let r = try CLI.run(["phantom", dir + "/x.h5", "--shape", bad])
            XCTAssertEqual(r.status, 2, bad)
            XCTAssertTrue(r.stderr.contains("--shape"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
        let r = try CLI.run(["phantom", dir + "/missing/x.h5", "--shape", "4x32x32"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("missing"), r.stderr)
    }

    func testHelpHasExamples() throws {
        for command in ["phantom", "evaluate", "compare"] {
            let r = try CLI.run([command, "--help"])
            XCTAssertEqual(r.status, 0)
            XCTAssertTrue(r.stdout.contains("Examples:"), command)
            XCTAssertTrue(r.stdout.contains("densecell \(command) "), command)
        }
    }
}
