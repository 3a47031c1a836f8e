import XCTest
import Foundation
@testable import DenseCellCore

final class ChecksumTests: XCTestCase {
    /// The published FNV-1a 64 test vectors: stored checksums depend on these values.
    func testKnownValues() {
        XCTAssertEqual(FNV1a.hash([UInt8]()), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(FNV1a.hash("a".utf8), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(FNV1a.hash("foobar".utf8), 0x8594_4171_f739_67e8)
        XCTAssertEqual(FNV1a.hex("foobar".utf8), "85944171f73967e8")
    }

    /// Model checksums were written with `%016llx`: the hex form keeps its leading zeros.
    func testHexIsSixteenDigitsAsModelChecksumsWere() {
        var padded = 0
        for i in 0..<4096 {
            let bytes = withUnsafeBytes(of: UInt64(i) &* 0x9E37_79B9_7F4A_7C15) { Array($0) }
            XCTAssertEqual(FNV1a.hex(bytes), String(format: "%016llx", FNV1a.hash(bytes)))
            if FNV1a.hash(bytes) >> 60 == 0 { padded += 1 }
        }
        XCTAssertGreaterThan(padded, 0, "some hashes need a leading zero")
    }
}
