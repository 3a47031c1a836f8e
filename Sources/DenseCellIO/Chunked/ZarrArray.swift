import DenseCellCore
import Foundation

/// A Zarr array (v2: `.zarray`; v3: `zarr.json`, with or without `sharding_indexed`), read chunk by
/// chunk exactly as the Zarr specifications lay chunks out (see docs/ARCHITECTURE.md, "Chunked
/// stores"). A sharded array's grid is its inner chunks: reading one reads the shard's index (kept
/// for later reads) and that chunk's byte range only.
final class ZarrArray: ChunkSource, @unchecked Sendable {
    let store: DirectoryStore
    /// The array's key prefix in the store (`""` for the store itself, else `a/b/`).
    let prefix: String
    let version: Int
    let arrayShape: [Int]
    let chunkShape: [Int]
    let encoding: ElementEncoding
    let fillValue: Double
    /// The stored chunks' (or shards') grid extent and key rule.
    private let storedChunkShape: [Int]
    private let key: ([Int]) -> String
    /// The bytes-to-bytes codecs of a chunk, in the order they were applied when writing.
    private let codecs: [ChunkCodec]
    /// The array axes from slowest to fastest in a decoded chunk (C order: nil).
    private let axisOrder: [Int]?
    private let sharding: Sharding?
    private var shardIndexes: [String: [UInt64]?] = [:]
    private let indexLock = NSLock()

    /// What `sharding_indexed` adds: inner chunks inside each stored shard.
    struct Sharding {
        var innerCodecs: [ChunkCodec]
        var innerAxisOrder: [Int]?
        var innerBigEndian: Bool
        var indexCodecs: [ChunkCodec]
        var indexAtEnd: Bool
        /// Inner chunks per shard along each axis.
        var perShard: [Int]
        var entries: Int { perShard.reduce(1, *) }
        /// The index's bytes as stored (16 per entry, plus 4 for a crc32c).
        var indexBytes: Int { entries * 16 + (indexCodecs.contains(.crc32c) ? 4 : 0) }
    }

    /// Opens the array whose metadata is at `prefix` in `store`.
    ///
    /// - Throws: `IOError` naming the store and metadata key when it is missing or malformed, or
    ///   uses a data type, codec or chunk layout the reader does not know.
    init(store: DirectoryStore, prefix: String) throws(IOError) {
        self.store = store; self.prefix = prefix
        if let meta = try store.json(prefix + ".zarray") {
            version = 2
            let p = Parser(store: store.root, key: prefix + ".zarray", meta)
            arrayShape = try p.ints("shape")
            chunkShape = try p.ints("chunks")
            storedChunkShape = chunkShape
            guard let dtype = meta["dtype"] as? String, let e = ElementEncoding(numpy: dtype) else {
                throw p.error("unsupported dtype \(meta["dtype"].map { "\($0)" } ?? "(none)") (numeric types only)")
            }
            encoding = e
            fillValue = try p.fill(meta["fill_value"])
            let order = meta["order"] as? String ?? "C"
            guard order == "C" || order == "F" else { throw p.error("unknown order \(order)") }
            axisOrder = order == "F" ? Array(arrayShape.indices.reversed()) : nil
            if let filters = meta["filters"] as? [[String: Any]], !filters.isEmpty {
                throw p.error("filters \(filters.compactMap { $0["id"] as? String }.joined(separator: ", ")) are not supported (only a compressor)")
            }
            var list: [ChunkCodec] = []
            if let compressor = meta["compressor"] as? [String: Any] {
                guard let id = compressor["id"] as? String, let codec = Self.v2Codecs[id] else {
                    throw p.error("unknown compressor \(compressor["id"].map { "\($0)" } ?? "(no id)")")
                }
                list.append(codec)
            }
            codecs = list
            let separator = meta["dimension_separator"] as? String ?? "."
            key = { index in prefix + (index.isEmpty ? "0" : index.map(String.init).joined(separator: separator)) }
            sharding = nil
        } else if let meta = try store.json(prefix + "zarr.json") {
            version = 3
            let p = Parser(store: store.root, key: prefix + "zarr.json", meta)
            guard meta["node_type"] as? String == "array" else { throw p.error("is a group, not an array") }
            arrayShape = try p.ints("shape")
            guard let grid = meta["chunk_grid"] as? [String: Any], grid["name"] as? String == "regular",
                  let gridShape = (grid["configuration"] as? [String: Any])?["chunk_shape"] as? [Int] else {
                throw p.error("only a regular chunk_grid is supported")
            }
            storedChunkShape = gridShape
            let codecList = meta["codecs"] as? [[String: Any]] ?? []
            let chain = try Self.v3Chain(codecList, p)
            var bigEndian = chain.bigEndian
            if let shard = chain.sharding {
                guard shard.inner.count == gridShape.count, zip(gridShape, shard.inner).allSatisfy({ $1 > 0 && $0 % $1 == 0 }) else {
                    throw p.error("sharding_indexed chunk_shape \(shard.inner) does not divide the shard shape \(gridShape)")
                }
                let inner = try Self.v3Chain(shard.codecs, p)
                guard inner.sharding == nil else { throw p.error("nested sharding is not supported") }
                let index = try Self.v3Chain(shard.indexCodecs, p)
                guard index.bytesCodecs.allSatisfy({ $0 == .crc32c }), !index.bigEndian else {
                    throw p.error("a shard index must be little-endian bytes with an optional crc32c")
                }
                sharding = Sharding(innerCodecs: inner.bytesCodecs, innerAxisOrder: inner.axisOrder, innerBigEndian: inner.bigEndian,
                                    indexCodecs: index.bytesCodecs, indexAtEnd: shard.atEnd,
                                    perShard: zip(gridShape, shard.inner).map { $0 / $1 })
                chunkShape = shard.inner
                bigEndian = inner.bigEndian
                guard chain.bytesCodecs.isEmpty, chain.axisOrder == nil else {
                    throw p.error("codecs around sharding_indexed are not supported")
                }
            } else {
                sharding = nil
                chunkShape = gridShape
            }
            codecs = chain.bytesCodecs
            axisOrder = chain.axisOrder
            guard let type = meta["data_type"] as? String, let e = ElementEncoding(name: type, bigEndian: bigEndian) else {
                throw p.error("unsupported data_type \(meta["data_type"].map { "\($0)" } ?? "(none)") (numeric types only)")
            }
            encoding = e
            fillValue = try p.fill(meta["fill_value"], encoding: e)
            let keys = meta["chunk_key_encoding"] as? [String: Any]
            let name = keys?["name"] as? String ?? "default"
            let separator = (keys?["configuration"] as? [String: Any])?["separator"] as? String ?? (name == "v2" ? "." : "/")
            switch name {
            case "default": key = { index in prefix + (["c"] + index.map(String.init)).joined(separator: separator) }
            case "v2": key = { index in prefix + (index.isEmpty ? "0" : index.map(String.init).joined(separator: separator)) }
            default: throw p.error("unknown chunk_key_encoding \(name)")
            }
        } else {
            throw IOError(.missingFile, file: store.root, dataset: prefix.isEmpty ? nil : prefix, "no Zarr array here (no .zarray or zarr.json)")
        }
        guard arrayShape.count == chunkShape.count, chunkShape.allSatisfy({ $0 > 0 }) else {
            throw IOError(.corrupt, file: store.root, dataset: prefix + (version == 2 ? ".zarray" : "zarr.json"),
                          "chunk shape \(chunkShape) does not fit the array shape \(arrayShape)")
        }
    }

    static let v2Codecs: [String: ChunkCodec] = ["blosc": .blosc, "zstd": .zstd, "gzip": .zlib, "zlib": .zlib, "lz4": .lz4,
                                                 "bz2": .bzip2, "lzma": .xz]

    /// A v3 codec list split into its parts.
    struct Chain {
        var axisOrder: [Int]? = nil
        var bigEndian = false
        var bytesCodecs: [ChunkCodec] = []
        var sharding: (inner: [Int], codecs: [[String: Any]], indexCodecs: [[String: Any]], atEnd: Bool)? = nil
    }

    static func v3Chain(_ list: [[String: Any]], _ p: Parser) throws(IOError) -> Chain {
        var chain = Chain()
        for codec in list {
            let name = codec["name"] as? String ?? ""
            let config = codec["configuration"] as? [String: Any] ?? [:]
            switch name {
            case "transpose":
                guard let order = config["order"] as? [Int] else { throw p.error("transpose needs an order") }
                chain.axisOrder = order
            case "bytes": chain.bigEndian = (config["endian"] as? String) == "big"
            case "gzip": chain.bytesCodecs.append(.zlib)
            case "zstd": chain.bytesCodecs.append(.zstd)
            case "blosc": chain.bytesCodecs.append(.blosc)
            case "crc32c": chain.bytesCodecs.append(.crc32c)
            case "sharding_indexed":
                guard let inner = config["chunk_shape"] as? [Int] else { throw p.error("sharding_indexed needs a chunk_shape") }
                chain.sharding = (inner, config["codecs"] as? [[String: Any]] ?? [],
                                  config["index_codecs"] as? [[String: Any]] ?? [], (config["index_location"] as? String ?? "end") == "end")
            default: throw p.error("unknown codec \(name.isEmpty ? "(unnamed)" : name)")
            }
        }
        return chain
    }

    var storage: String {
        var parts = ["zarr v\(version)", "chunks " + chunkShape.map(String.init).joined(separator: "×")]
        if sharding != nil { parts.append("in shards " + storedChunkShape.map(String.init).joined(separator: "×")) }
        let names = (sharding?.innerCodecs ?? codecs).map(\.name)
        parts.append(names.isEmpty ? "uncompressed" : names.joined(separator: ", "))
        if axisOrder != nil || sharding?.innerAxisOrder != nil { parts.append(version == 2 ? "order F" : "transposed") }
        return parts.joined(separator: ", ")
    }

    func chunk(_ index: [Int]) throws(IOError) -> DecodedChunk? {
        let elements = chunkShape.reduce(1, *), bytes = elements * encoding.size
        guard let sharding else {
            let k = key(index)
            guard let stored = try store.read(k) else { return nil }
            return DecodedChunk(bytes: try decode(stored, codecs, bytes: bytes, key: k), extent: chunkShape, axisOrder: axisOrder)
        }
        let shard = zip(index, sharding.perShard).map { $0 / $1 }
        let k = key(shard)
        guard let entries = try shardIndex(k, sharding) else { return nil }
        var inner = 0
        for (axis, i) in index.enumerated() { inner = inner * sharding.perShard[axis] + i % sharding.perShard[axis] }
        let offset = entries[2 * inner], count = entries[2 * inner + 1]
        if offset == UInt64.max && count == UInt64.max { return nil }
        guard let size = store.size(k), offset <= UInt64(size), count <= UInt64(size) - offset else {
            throw IOError(.corrupt, file: store.root, dataset: k, "shard index points outside the shard (inner chunk \(index))")
        }
        guard let stored = try store.read(k, range: Int(offset)..<Int(offset + count)) else { return nil }
        return DecodedChunk(bytes: try decode(stored, sharding.innerCodecs, bytes: bytes, key: k), extent: chunkShape,
                            axisOrder: sharding.innerAxisOrder)
    }

    func hasChunk(_ index: [Int]) throws(IOError) -> Bool {
        guard let sharding else { return store.size(key(index)) != nil }
        let k = key(zip(index, sharding.perShard).map { $0 / $1 })
        guard let entries = try shardIndex(k, sharding) else { return false }
        var inner = 0
        for (axis, i) in index.enumerated() { inner = inner * sharding.perShard[axis] + i % sharding.perShard[axis] }
        return !(entries[2 * inner] == UInt64.max && entries[2 * inner + 1] == UInt64.max)
    }

    /// Whether any chunk of a grid block was written: shard by shard, each shard's index looked at
    /// once (a sparse teravoxel store asks this of millions of chunks).
    func anyChunk(in grid: [ClosedRange<Int>]) throws(IOError) -> Bool {
        guard let sharding else {
            return try GridBlock(grid).contains { (index: [Int]) throws(IOError) in store.size(key(index)) != nil }
        }
        let per = sharding.perShard
        let shards = zip(grid, per).map { r, p in (r.lowerBound / p)...(r.upperBound / p) }
        return try GridBlock(shards).contains { (shard: [Int]) throws(IOError) -> Bool in
            guard let entries = try shardIndex(key(shard), sharding) else { return false }
            // The inner positions of this shard inside the block.
            let inner = (0..<per.count).map { a in
                let origin = shard[a] * per[a]
                return (max(grid[a].lowerBound, origin) - origin)...(min(grid[a].upperBound, origin + per[a] - 1) - origin)
            }
            return try GridBlock(inner).contains { (i: [Int]) throws(IOError) -> Bool in
                var flat = 0
                for a in 0..<per.count { flat = flat * per[a] + i[a] }
                return !(entries[2 * flat] == UInt64.max && entries[2 * flat + 1] == UInt64.max)
            }
        }
    }

    /// The (offset, size) pairs of a shard's inner chunks, read once per shard; nil for a shard
    /// that was never written.
    private func shardIndex(_ k: String, _ sharding: Sharding) throws(IOError) -> [UInt64]? {
        indexLock.lock()
        if let cached = shardIndexes[k] { indexLock.unlock(); return cached }
        indexLock.unlock()
        var entries: [UInt64]? = nil
        if let size = store.size(k) {
            let n = sharding.indexBytes
            guard size >= n else { throw IOError(.corrupt, file: store.root, dataset: k, "shard is smaller than its index") }
            let range = sharding.indexAtEnd ? (size - n)..<size : 0..<n
            if var raw = try store.read(k, range: range) {
                for codec in sharding.indexCodecs.reversed() { raw = try codec.decode(raw, capacity: raw.count, store: store.root, key: k) }
                guard raw.count == sharding.entries * 16 else { throw IOError(.corrupt, file: store.root, dataset: k, "shard index has the wrong size") }
                entries = raw.withUnsafeBytes { b in (0..<(2 * sharding.entries)).map { UInt64(littleEndian: b.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)) } }
            }
        }
        indexLock.lock()
        // Index memory stays bounded on huge sparse stores: forget them all past a limit.
        if shardIndexes.count > 4096 { shardIndexes.removeAll() }
        shardIndexes[k] = entries
        indexLock.unlock()
        return entries
    }

    private func decode(_ stored: [UInt8], _ codecs: [ChunkCodec], bytes: Int, key: String) throws(IOError) -> [UInt8] {
        var data = stored
        for codec in codecs.reversed() { data = try codec.decode(data, capacity: bytes, store: store.root, key: key) }
        guard data.count == bytes else {
            throw IOError(.corrupt, file: store.root, dataset: key, "chunk holds \(data.count) bytes where \(bytes) were expected")
        }
        return data
    }

    /// Reads a metadata object's fields, naming the store and key in its errors.
    struct Parser {
        let store: String, key: String
        let meta: [String: Any]
        init(store: String, key: String, _ meta: [String: Any]) { self.store = store; self.key = key; self.meta = meta }

        func error(_ message: String) -> IOError { IOError(.unsupportedType, file: store, dataset: key, message) }

        func ints(_ field: String) throws(IOError) -> [Int] {
            guard let v = meta[field] as? [Int] else { throw IOError(.corrupt, file: store, dataset: key, "missing or malformed \"\(field)\"") }
            return v
        }

        /// A fill value: a number, `"NaN"`, `"Infinity"`, `"-Infinity"`, a bit pattern `"0x…"` (v3
        /// floats), a boolean, or null (zero).
        func fill(_ value: Any?, encoding: ElementEncoding? = nil) throws(IOError) -> Double {
            switch value {
            case nil, is NSNull: return 0
            case let n as NSNumber: return n.doubleValue
            case let s as String:
                switch s {
                case "NaN": return .nan
                case "Infinity": return .infinity
                case "-Infinity": return -.infinity
                default:
                    if s.hasPrefix("0x"), let bits = UInt64(s.dropFirst(2), radix: 16) {
                        switch encoding?.size {
                        case 2: return Double(Float(Float16(bitPattern: UInt16(truncatingIfNeeded: bits))))
                        case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
                        default: return Double(bitPattern: bits)
                        }
                    }
                    throw IOError(.corrupt, file: store, dataset: key, "unreadable fill_value \(s)")
                }
            default: throw IOError(.corrupt, file: store, dataset: key, "unreadable fill_value")
            }
        }
    }
}
