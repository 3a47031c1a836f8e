import CCodecs
import DenseCellCore
import Foundation

/// A bytes-to-bytes codec of a Zarr or N5 chunk, undone through the library made for it.
enum ChunkCodec: Sendable, Equatable {
    /// zlib or gzip streams (the header tells).
    case zlib
    case zstd
    /// blosc with any inner codec and shuffle (the header tells).
    case blosc
    /// numcodecs' LZ4: the decoded size (4 bytes, little endian) before one LZ4 block.
    case lz4
    /// N5's LZ4: Java's `LZ4BlockOutputStream` framing.
    case lz4Java
    case bzip2
    case xz
    /// Zarr v3's checksum: the last 4 bytes are the CRC-32C of the rest.
    case crc32c

    /// `gzip`, `blosc` …, for `info`.
    var name: String {
        switch self {
        case .zlib: "gzip"
        case .zstd: "zstd"
        case .blosc: "blosc"
        case .lz4, .lz4Java: "lz4"
        case .bzip2: "bzip2"
        case .xz: "xz"
        case .crc32c: "crc32c"
        }
    }

    /// Decodes `bytes` whose decoded form is at most `capacity` bytes.
    ///
    /// - Throws: `IOError(.corrupt)` naming `key` in `store` when they do not decode.
    func decode(_ bytes: [UInt8], capacity: Int, store: String, key: String) throws(IOError) -> [UInt8] {
        func failed(_ why: String = "does not decompress") -> IOError {
            IOError(.corrupt, file: store, dataset: key, "chunk \(why) (\(name))")
        }
        func call(_ room: Int, _ f: (UnsafeRawPointer?, Int, UnsafeMutableRawPointer?, Int) -> Int64) throws(IOError) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: room)
            let n = bytes.withUnsafeBytes { src in out.withUnsafeMutableBytes { dst in f(src.baseAddress, src.count, dst.baseAddress, dst.count) } }
            guard n >= 0 else { throw failed() }
            out.removeLast(room - Int(n))
            return out
        }
        switch self {
        case .zlib: return try call(capacity) { dc_decode_zlib($0, $1, $2, $3) }
        case .zstd: return try call(capacity) { dc_decode_zstd($0, $1, $2, $3) }
        case .bzip2: return try call(capacity) { dc_decode_bzip2($0, $1, $2, $3) }
        case .xz: return try call(capacity) { dc_decode_xz($0, $1, $2, $3) }
        case .blosc:
            let size = bytes.withUnsafeBytes { dc_blosc_decoded_size($0.baseAddress, $0.count) }
            guard size >= 0 else { throw failed("is not a blosc buffer") }
            return try call(Int(size)) { dc_decode_blosc($0, $1, $2, $3) }
        case .lz4:
            guard bytes.count >= 4 else { throw failed("is too short") }
            let size = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
            let block = Array(bytes[4...])
            var out = [UInt8](repeating: 0, count: size)
            let n = block.withUnsafeBytes { src in out.withUnsafeMutableBytes { dst in dc_decode_lz4_block(src.baseAddress, src.count, dst.baseAddress, dst.count) } }
            guard n == Int64(size) else { throw failed() }
            return out
        case .lz4Java: return try decodeJavaLZ4(bytes, failed: failed)
        case .crc32c:
            guard bytes.count >= 4 else { throw failed("is too short for its checksum") }
            let body = bytes.count - 4
            let stored = UInt32(bytes[body]) | UInt32(bytes[body + 1]) << 8 | UInt32(bytes[body + 2]) << 16 | UInt32(bytes[body + 3]) << 24
            let computed = bytes.withUnsafeBytes { dc_crc32c($0.baseAddress, body) }
            guard stored == computed else { throw failed("fails its checksum") }
            return Array(bytes[..<body])
        }
    }

    /// Java's LZ4 block stream: blocks of "LZ4Block", a token (0x10 raw, 0x20 LZ4), the
    /// compressed and decoded lengths and a checksum (little endian), then the data; an empty
    /// block ends the stream.
    private func decodeJavaLZ4(_ bytes: [UInt8], failed: (String) -> IOError) throws(IOError) -> [UInt8] {
        var out: [UInt8] = []
        var at = 0
        func u32(_ i: Int) -> Int { Int(UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24) }
        let magic = Array("LZ4Block".utf8)
        while at + 21 <= bytes.count {
            guard Array(bytes[at..<(at + 8)]) == magic else { throw failed("has no LZ4Block header") }
            let token = bytes[at + 8], compressed = u32(at + 9), decoded = u32(at + 13)
            at += 21
            if decoded == 0 { break }
            guard at + compressed <= bytes.count else { throw failed("is truncated") }
            if token & 0xF0 == 0x10 {
                out += bytes[at..<(at + compressed)]
            } else {
                var block = [UInt8](repeating: 0, count: decoded)
                let n = bytes.withUnsafeBytes { src in
                    block.withUnsafeMutableBytes { dst in dc_decode_lz4_block(src.baseAddress! + at, compressed, dst.baseAddress, decoded) }
                }
                guard n == Int64(decoded) else { throw failed("does not decompress") }
                out += block
            }
            at += compressed
        }
        return out
    }
}
