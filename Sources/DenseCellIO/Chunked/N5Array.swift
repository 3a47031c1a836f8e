import DenseCellCore
import Foundation

/// An N5 dataset (`attributes.json` with `dimensions`, `blockSize`, `dataType`, `compression`),
/// read block by block as the N5 specification lays blocks out: a big-endian header (mode, number
/// of dimensions, the block's own extent — smaller at the far edges), then the compressed
/// big-endian elements, x fastest. N5 lists axes x first; the array is presented slowest first
/// (z, y, x), so the dimensions, block size and block keys are reversed.
final class N5Array: ChunkSource, @unchecked Sendable {
    let store: DirectoryStore
    /// The dataset's key prefix in the store (`""` or `a/b/`).
    let prefix: String
    let arrayShape: [Int]
    let chunkShape: [Int]
    let encoding: ElementEncoding
    let fillValue: Double = 0
    private let codec: ChunkCodec?

    /// Opens the dataset whose `attributes.json` is at `prefix` in `store`.
    ///
    /// - Throws: `IOError` naming the store and key when it is missing, malformed, or uses a data
    ///   type or compression the reader does not know.
    init(store: DirectoryStore, prefix: String) throws(IOError) {
        self.store = store; self.prefix = prefix
        let key = prefix + "attributes.json"
        guard let meta = try store.json(key) else {
            throw IOError(.missingFile, file: store.root, dataset: prefix.isEmpty ? nil : prefix, "no N5 dataset here (no attributes.json)")
        }
        guard let dims = meta["dimensions"] as? [Int], let block = meta["blockSize"] as? [Int], dims.count == block.count,
              block.allSatisfy({ $0 > 0 }) else {
            throw IOError(.corrupt, file: store.root, dataset: key, "not an N5 dataset: needs dimensions and blockSize of one rank")
        }
        arrayShape = dims.reversed(); chunkShape = block.reversed()
        guard let type = meta["dataType"] as? String, let e = ElementEncoding(name: type, bigEndian: true) else {
            throw IOError(.unsupportedType, file: store.root, dataset: key, "unsupported dataType \(meta["dataType"].map { "\($0)" } ?? "(none)")")
        }
        encoding = e
        // N5 1.x wrote "compressionType"; 2.x writes a "compression" object.
        let compression = meta["compression"] as? [String: Any]
        let name = compression?["type"] as? String ?? meta["compressionType"] as? String ?? "raw"
        switch name {
        case "raw": codec = nil
        case "gzip": codec = .zlib
        case "bzip2": codec = .bzip2
        case "xz": codec = .xz
        case "blosc": codec = .blosc
        case "zstd": codec = .zstd
        case "lz4": codec = .lz4Java
        default: throw IOError(.unsupportedType, file: store.root, dataset: key, "unknown compression \(name)")
        }
    }

    var storage: String {
        "n5, blocks " + chunkShape.map(String.init).joined(separator: "×") + ", " + (codec?.name ?? "raw")
    }

    func key(_ index: [Int]) -> String { prefix + index.reversed().map(String.init).joined(separator: "/") }

    func hasChunk(_ index: [Int]) throws(IOError) -> Bool { store.size(key(index)) != nil }

    func chunk(_ index: [Int]) throws(IOError) -> DecodedChunk? {
        let k = key(index)
        guard let stored = try store.read(k) else { return nil }
        func bad(_ why: String) -> IOError { IOError(.corrupt, file: store.root, dataset: k, "block \(why)") }
        func u16(_ i: Int) -> Int { Int(stored[i]) << 8 | Int(stored[i + 1]) }
        func u32(_ i: Int) -> Int { Int(stored[i]) << 24 | Int(stored[i + 1]) << 16 | Int(stored[i + 2]) << 8 | Int(stored[i + 3]) }
        guard stored.count >= 4 else { throw bad("header is truncated") }
        let mode = u16(0), ndim = u16(2)
        guard mode == 0 || mode == 1 else { throw bad("mode \(mode) is not an array block") }
        guard ndim == arrayShape.count else { throw bad("has \(ndim) dimensions where the dataset has \(arrayShape.count)") }
        var at = 4
        guard stored.count >= at + 4 * ndim + (mode == 1 ? 4 : 0) else { throw bad("header is truncated") }
        let sizes = (0..<ndim).map { u32(at + 4 * $0) }   // x first
        at += 4 * ndim
        if mode == 1 { at += 4 }   // varlength: an element count follows; the data are still the block's
        let extent = Array(sizes.reversed())
        guard zip(extent, chunkShape).allSatisfy({ $0 <= $1 && $0 > 0 }) else { throw bad("extent \(sizes) exceeds the block size") }
        let bytes = extent.reduce(1, *) * encoding.size
        let payload = Array(stored[at...])
        let data = try codec?.decode(payload, capacity: bytes, store: store.root, key: k) ?? payload
        guard data.count >= bytes else { throw bad("holds \(data.count) bytes where \(bytes) were expected") }
        return DecodedChunk(bytes: data.count == bytes ? data : Array(data[..<bytes]), extent: extent)
    }
}
