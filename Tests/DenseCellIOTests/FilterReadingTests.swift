import XCTest
import DenseCellCore
@testable import DenseCellIO

/// Datasets written by h5py + hdf5plugin with every filter the field's files use (see
/// Fixtures/make_filter_fixtures.py), read back and checked voxel by voxel against the formula
/// that made them.
final class FilterReadingTests: XCTestCase {
    static let shape = Shape3(5, 32, 40)
    var h5: String { Bundle.module.path(forResource: "Fixtures/h5py-filters", ofType: "h5")! }
    static let filters = ["lzf", "blosc_lz4", "blosc_zstd", "blosc_zlib", "blosc_blosclz", "lz4", "bitshuffle_lz4", "zstd", "bzip2"]

    func base(_ i: Int) -> Int {
        let s = Self.shape
        let z = i / s.planeCount, y = (i / s.x) % s.y, x = i % s.x
        return z * 31 + y * 7 + x * 3
    }

    func read(_ dataset: String) throws -> AnyVolume {
        try VolumeReader.read(try VolumeReference.parse(h5 + ":" + dataset))
    }

    func testEveryFilterReadsExactly() throws {
        for filter in Self.filters {
            guard case .uint8(let u8) = try read("/\(filter)/uint8") else { return XCTFail("\(filter): expected uint8") }
            XCTAssertEqual(u8.shape, Self.shape)
            XCTAssertEqual(u8.data, (0..<Self.shape.count).map { UInt8(base($0) % 251) }, filter)
            guard case .uint16(let u16) = try read("/\(filter)/uint16") else { return XCTFail("\(filter): expected uint16") }
            XCTAssertEqual(u16.data, (0..<Self.shape.count).map { UInt16(base($0) * 17 % 65521) }, filter)
            guard case .float32(let f) = try read("/\(filter)/float32") else { return XCTFail("\(filter): expected float32") }
            XCTAssertEqual(f.data, (0..<Self.shape.count).map { Float(Double(base($0)) / 8 - 100) }, filter)
        }
    }

    func testFiltersAreNamedInTheDescription() throws {
        let file = try HDF5File(path: h5)
        let expected = ["lzf": "lzf", "blosc_lz4": "blosc", "lz4": "lz4", "bitshuffle_lz4": "bitshuffle", "zstd": "zstd", "bzip2": "bzip2"]
        for (group, name) in expected {
            XCTAssertEqual(try file.info("/\(group)/uint8").filters, [name], group)
        }
        XCTAssertEqual(try file.info("/sz/float32").filterIDs, [32017])
    }

    func testAFilterWithoutAPluginIsNamedNotCalledCorruption() throws {
        guard HDF5Filters.missing([32017]) != nil else { throw XCTSkip("this machine has an SZ plugin") }
        XCTAssertThrowsError(try read("/sz/float32")) { error in
            let e = error as! IOError
            XCTAssertEqual(e.kind, .unsupportedType)
            XCTAssertEqual(e.message, "uses HDF5 filter 32017 (sz), not available here (no Debian package provides it)")
        }
    }
}
