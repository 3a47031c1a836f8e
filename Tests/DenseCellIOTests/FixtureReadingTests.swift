import XCTest
import DenseCellCore
@testable import DenseCellIO

/// Reads files written by independent writers (h5py, tifffile; see Fixtures/make_fixtures.py)
/// and checks every value against the formula that made it.
final class FixtureReadingTests: XCTestCase {
    static let shape = Shape3(5, 32, 40)
    var h5: String { Bundle.module.path(forResource: "Fixtures/h5py-dtypes", ofType: "h5")! }

    func base(_ z: Int, _ y: Int, _ x: Int) -> Int { z * 31 + y * 7 + x * 3 }

    func forEachVoxel(_ body: (Int, Int, Int, Int) -> Void) {
        let s = Self.shape
        var i = 0
        for z in 0..<s.z { for y in 0..<s.y { for x in 0..<s.x { body(i, z, y, x); i += 1 } } }
    }

    func read(_ dataset: String) throws -> AnyVolume {
        try VolumeReader.read(try VolumeReference.parse(h5 + ":" + dataset))
    }

    func testUInt8GzipChunks() throws {
        guard case .uint8(let v) = try read("/uint8_gzip") else { return XCTFail("expected uint8") }
        XCTAssertEqual(v.shape, Self.shape)
        forEachVoxel { i, z, y, x in XCTAssertEqual(Int(v.data[i]), base(z, y, x) % 251) }
        let info = try HDF5File(path: h5).info("/uint8_gzip")
        XCTAssertEqual(info.chunks, [2, 16, 16])
        XCTAssertTrue(info.filters.contains("gzip 4"))
    }

    func testUInt16ShuffleGzip() throws {
        guard case .uint16(let v) = try read("/uint16_gzip") else { return XCTFail("expected uint16") }
        forEachVoxel { i, z, y, x in XCTAssertEqual(Int(v.data[i]), base(z, y, x) * 17 % 65521) }
    }

    func testInt32AndInt64() throws {
        guard case .int32(let v) = try read("int32_plain") else { return XCTFail("expected int32") }
        forEachVoxel { i, z, y, x in XCTAssertEqual(Int(v.data[i]), base(z, y, x) - 500) }
        let labels = try VolumeReader.readLabels(try VolumeReference.parse(h5 + ":/int64_labels"), mapping: LabelMapping(classCount: 7))
        forEachVoxel { i, z, y, x in XCTAssertEqual(Int(labels.data[i]), base(z, y, x) % 7) }
    }

    func testFloat32Float16Float64() throws {
        guard case .float32(let f32) = try read("/float32_gzip") else { return XCTFail() }
        guard case .float32(let f16) = try read("/float16") else { return XCTFail() }
        guard case .float32(let f64) = try read("/float64") else { return XCTFail() }
        forEachVoxel { i, z, y, x in
            let b = base(z, y, x)
            XCTAssertEqual(f32.data[i], Float(b) / 8)
            XCTAssertEqual(f16.data[i], Float(b % 64) / 4)   // exact in half precision
            XCTAssertEqual(f64.data[i], Float(Double(b) / 2))
        }
        XCTAssertEqual(try HDF5File(path: h5).info("/float16").typeName, "float16")
    }

    func testSqueezesIlastikChannelAndLeadingSingleton() throws {
        for name in ["/ilastik_zyxc", "/leading_singleton"] {
            guard case .uint8(let v) = try read(name) else { return XCTFail(name) }
            XCTAssertEqual(v.shape, Self.shape, name)
            forEachVoxel { i, z, y, x in XCTAssertEqual(Int(v.data[i]), base(z, y, x) % 251) }
        }
    }

    func testAttributesFromH5py() throws {
        let file = try HDF5File(path: h5)
        XCTAssertEqual(file.attribute("/labels/truth", "role")?.stringValue, "truth")
        XCTAssertEqual(file.attribute("/image", "resolution_nm")?.doubleValues, [50, 20, 20])
        XCTAssertEqual(file.datasetNames().filter { $0.hasPrefix("/labels/") }, ["/labels/bad", "/labels/truth"])
    }

    func testTiffStacksFromTifffile() throws {
        let dir = (h5 as NSString).deletingLastPathComponent
        guard case .uint8(let v8) = try VolumeReader.read(try VolumeReference.parse(dir + "/tifffile-uint8.tif")) else { return XCTFail() }
        guard case .uint16(let v16) = try VolumeReader.read(try VolumeReference.parse(dir + "/tifffile-uint16.tif")) else { return XCTFail() }
        XCTAssertEqual(v8.shape, Self.shape)
        XCTAssertEqual(v16.shape, Self.shape)
        forEachVoxel { i, z, y, x in
            XCTAssertEqual(Int(v8.data[i]), base(z, y, x) % 251)
            XCTAssertEqual(Int(v16.data[i]), base(z, y, x) * 17 % 65521)
        }
    }

    // MARK: Errors

    func assertIOError(_ kind: IOError.Kind, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        do { try body(); XCTFail("expected \(kind)", file: file, line: line) } catch let e as IOError {
            XCTAssertEqual(e.kind, kind, e.description, file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), file: file, line: line)
        } catch { XCTFail("unexpected \(error)", file: file, line: line) }
    }

    func testErrorCases() throws {
        assertIOError(.missingFile) { _ = try VolumeReference.parse("/nonexistent/file.h5:/image") }
        assertIOError(.missingDataset) { _ = try read("/labels/nothing") }
        assertIOError(.unsupportedType) { _ = try read("/strings") }
        assertIOError(.badShape) { _ = try read("/vector") }
        assertIOError(.badShape) { _ = try read("/four_d") }
        assertIOError(.badLabels) { _ = try VolumeReader.readLabels(try VolumeReference.parse(h5 + ":/labels/bad"), mapping: LabelMapping(classCount: 7)) }
        do { _ = try read("/labels/nothing") } catch let e as IOError {
            XCTAssertTrue(e.description.hasSuffix("h5py-dtypes.h5:/labels/nothing: no such dataset"), e.description)
        }
    }

    func testTruncatedHDF5() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: h5))
        let tmp = NSTemporaryDirectory() + "truncated-\(getpid()).h5"
        defer { unlink(tmp) }
        try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: tmp))
        assertIOError(.corrupt) {
            let f = try HDF5File(path: tmp)
            _ = try VolumeReader.readHDF5(f, "/image")
        }
    }

    func testNotHDF5() throws {
        let tmp = NSTemporaryDirectory() + "text-\(getpid()).h5"
        defer { unlink(tmp) }
        try "hello".write(toFile: tmp, atomically: true, encoding: .utf8)
        assertIOError(.corrupt) { _ = try HDF5File(path: tmp) }
    }
}
