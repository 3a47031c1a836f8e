import XCTest
import DenseCellCore
@testable import DenseCellIO

/// int64, uint32, uint64 and float64 datasets (instance IDs, double images) read exactly, or are
/// refused with the value that does not fit, never saturated. The fixture is written by h5py
/// (Fixtures/make_wide_fixture.py); each dataset is its edge cases, then i * 1000003 + offset.
final class WideTypeReadingTests: XCTestCase {
    var h5: String { Bundle.module.path(forResource: "Fixtures/h5py-wide", ofType: "h5")! }
    let shape = Shape3(2, 3, 4)

    func expected(_ edges: [Int64], offset: Int64) -> [Int64] {
        edges + (0..<(24 - edges.count)).map { Int64($0) * 1000003 + offset }
    }

    func read(_ dataset: String) throws -> AnyVolume {
        try VolumeReader.read(try VolumeReference.parse(h5 + ":" + dataset))
    }

    func testInt64BeyondInt32AndFloat64PrecisionReadsExactly() throws {
        guard case .int64(let v) = try read("/int64") else { return XCTFail("expected int64") }
        XCTAssertEqual(v.shape, shape)
        XCTAssertEqual(v.data, expected([1 << 31, -(1 << 31) - 1, (1 << 53) + 1, 1 << 62, .max, .min], offset: 1 << 40))
        XCTAssertEqual(try HDF5File(path: h5).info("/int64").typeName, "int64")
    }

    func testUInt32ReadsExactly() throws {
        guard case .int64(let v) = try read("/uint32") else { return XCTFail("expected int64") }
        XCTAssertEqual(v.data, expected([1 << 31, (1 << 32) - 1, 0], offset: 1 << 31))
        XCTAssertEqual(try HDF5File(path: h5).info("/uint32").typeName, "uint32")
    }

    func testUInt64WithinInt64ReadsExactly() throws {
        guard case .int64(let v) = try read("/uint64") else { return XCTFail("expected int64") }
        XCTAssertEqual(v.data, expected([.max, (1 << 53) + 1, 1 << 32], offset: 1 << 33))
    }

    func testUInt64AboveInt64IsRefusedNamingTheValue() throws {
        XCTAssertThrowsError(try read("/uint64_huge")) { error in
            guard let e = error as? IOError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.kind, .unsupportedType)
            XCTAssertEqual(e.description, "\(self.h5):/uint64_huge: value 9223372036854775808 (uint64) does not fit in int64")
            XCTAssertEqual(e.exitStatus, .badInput)
        }
    }

    func testWideIntegersThatFitAreInt32() throws {
        guard case .int32(let v) = try read("/int64_small") else { return XCTFail("expected int32") }
        XCTAssertEqual(v.data.map(Int64.init), expected([Int64(Int32.min), Int64(Int32.max)], offset: -7))
    }

    func testFloat64ReadsExactly() throws {
        guard case .float64(let v) = try read("/float64") else { return XCTFail("expected float64") }
        let edges: [Double] = [0x1p53, 0x1p53 + 2, 0.1, 1e300, -1e-300, .leastNonzeroMagnitude]
        let rest = (0..<18).map { Double($0) * 1000003 + 0.5 }
        XCTAssertEqual(v.data, edges + rest)
        // float32 would have merged these two.
        XCTAssertNotEqual(v.data[0], v.data[1])
    }

    func testNarrowReadsRefuseInsteadOfSaturating() throws {
        let f = try HDF5File(path: h5)
        XCTAssertThrowsError(try f.readArray("/int64", as: .int32, of: Int32.self)) { error in
            XCTAssertEqual("\(error)", "\(self.h5):/int64: value 2147483648 (int64) does not fit in int32")
        }
        XCTAssertThrowsError(try f.readArray("/uint32", as: .int32, of: Int32.self)) { error in
            XCTAssertEqual("\(error)", "\(self.h5):/uint32: value 2147483648 (uint32) does not fit in int32")
        }
        // Streaming an image as float32: 1e300 cannot become a float.
        XCTAssertThrowsError(try VolumeReader.readSlab(f, "/float64", z: 0..<1)) { error in
            XCTAssertTrue("\(error)".hasSuffix("/float64: value 1.0000000000000001e+300 (float64) does not fit in float32"), "\(error)")
        }
        // Rounding is not refused: the second slice's values are ordinary floats.
        let slab = try VolumeReader.readSlab(f, "/float64", z: 1..<2)
        XCTAssertEqual(slab.data, (6..<18).map { Float(Double($0) * 1000003 + 0.5) })
    }

    func testWideLabelsOutsideTheSchemaNameTheValue() throws {
        // 24 distinct values fit a 255-class schema's count, so the first value outside it is named.
        XCTAssertThrowsError(try VolumeReader.readLabels(try VolumeReference.parse(h5 + ":/int64"), mapping: LabelMapping(classCount: 255))) { error in
            XCTAssertTrue("\(error)".contains("label value 2147483648 is outside the schema"), "\(error)")
        }
    }

    func testWideLabelsWithMoreValuesThanClassesAreInstanceIDs() throws {
        XCTAssertThrowsError(try VolumeReader.readLabels(try VolumeReference.parse(h5 + ":/int64"), mapping: LabelMapping(classCount: 7))) { error in
            XCTAssertEqual((error as? IOError)?.kind, .badLabels)
            XCTAssertTrue("\(error)".hasSuffix("h5py-wide.h5:/int64: holds instance ids (24 distinct values in the slices read), "
                                              + "not class labels; give a --schema whose classes list the values they stand for"), "\(error)")
        }
    }

    func testInt64AndFloat64WrittenByDenseCellRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "densecell-wide-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ints: [Int64] = [.min, -(1 << 53) - 1, -1, 0, 1 << 31, (1 << 53) + 1, (1 << 62) + 3, .max]
        let doubles: [Double] = [-.greatestFiniteMagnitude, -0x1p53 - 2, 0.1, 0, 0x1p53 + 2, 1e-310, 3.0e38 * 10, .pi]
        let path = dir + "/w.h5"
        do {
            let f = try HDF5File(path: path, mode: .truncate)
            try f.writeArray("/ids", dims: [2, 2, 2], data: ints, memoryType: .int64, chunks: [1, 2, 2])
            try f.writeArray("/d", dims: [2, 2, 2], data: doubles, memoryType: .float64)
        }
        guard case .int64(let i) = try VolumeReader.read(try VolumeReference.parse(path + ":/ids")) else { return XCTFail() }
        XCTAssertEqual(i.data, ints)
        guard case .float64(let d) = try VolumeReader.read(try VolumeReference.parse(path + ":/d")) else { return XCTFail() }
        XCTAssertEqual(d.data, doubles)
        // HDF5's own tool sees the stored types.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/h5dump")
        p.arguments = ["-H", path]
        let pipe = Pipe(); p.standardOutput = pipe
        try p.run(); p.waitUntilExit()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("H5T_STD_I64LE"), text)
        XCTAssertTrue(text.contains("H5T_IEEE_F64LE"), text)
    }
}
