import CCodecs
import DenseCellCore
import Foundation

/// How chunks written to a Zarr store are compressed (`--codec`).
public enum ZarrCompression: String, CaseIterable, Sendable {
    /// zstd level 3 (zarr-python's default level).
    case zstd
    /// blosc with zstd inside and byte shuffle (numcodecs' usual choice for images).
    case bloscZstd = "blosc-zstd"
    /// gzip level 1 (the level the HDF5 study uses).
    case gzip

    /// The compressed form of `bytes` (elements of `elementSize` bytes), or nil when the library fails.
    func encode(_ bytes: UnsafeRawBufferPointer, elementSize: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: dc_encode_bound(bytes.count))
        let n = out.withUnsafeMutableBytes { dst -> Int64 in
            switch self {
            case .zstd: dc_encode_zstd(bytes.baseAddress, bytes.count, dst.baseAddress, dst.count, 3)
            case .bloscZstd: dc_encode_blosc_zstd(bytes.baseAddress, bytes.count, dst.baseAddress, dst.count, 5, Int32(elementSize))
            case .gzip: dc_encode_gzip(bytes.baseAddress, bytes.count, dst.baseAddress, dst.count, 1)
            }
        }
        guard n >= 0 else { return nil }
        out.removeLast(out.count - Int(n))
        return out
    }

    /// The `compressor` of a v2 `.zarray`, as numcodecs names it.
    func v2Compressor(elementSize: Int) -> [String: Any] {
        switch self {
        case .zstd: ["id": "zstd", "level": 3]
        case .bloscZstd: ["id": "blosc", "cname": "zstd", "clevel": 5, "shuffle": 1, "blocksize": 0]
        case .gzip: ["id": "gzip", "level": 1]
        }
    }

    /// The bytes-to-bytes codec of a v3 codec chain.
    func v3Codec(elementSize: Int) -> [String: Any] {
        switch self {
        case .zstd: ["name": "zstd", "configuration": ["level": 3, "checksum": false]]
        case .bloscZstd: ["name": "blosc", "configuration": ["cname": "zstd", "clevel": 5, "shuffle": "shuffle",
                                                              "typesize": elementSize, "blocksize": 0]]
        case .gzip: ["name": "gzip", "configuration": ["level": 1]]
        }
    }
}

extension ElementEncoding {
    /// A little-endian element type written to a store.
    init(writing type: ScalarType) {
        switch type {
        case .uint8: self.init(name: "uint8", bigEndian: false)!
        case .uint16: self.init(name: "uint16", bigEndian: false)!
        case .int32: self.init(name: "int32", bigEndian: false)!
        case .int64: self.init(name: "int64", bigEndian: false)!
        case .float16: self.init(name: "float16", bigEndian: false)!
        case .float32: self.init(name: "float32", bigEndian: false)!
        case .float64: self.init(name: "float64", bigEndian: false)!
        }
    }

    /// numpy's name of the type (`|u1`, `<u2`, `<f4`), as a v2 `.zarray` records it.
    var numpyCode: String {
        let code = switch kind { case .unsigned: "u"; case .signed: "i"; case .float: "f" }
        return (size == 1 ? "|" : bigEndian ? ">" : "<") + code + String(size)
    }
}

/// Writes the metadata of Zarr nodes and the chunks of their arrays into a directory (see
/// docs/ARCHITECTURE.md, "Writing OME-Zarr"). Keys are paths below `root`.
struct ZarrNodeWriter {
    let root: String
    let version: Int
    /// What errors name: the store as the user will know it, not the scratch directory.
    let reportedAs: String

    func failure(_ key: String, _ what: String) -> IOError {
        IOError(.writeFailed, file: reportedAs, dataset: key, "\(what): \(String(cString: strerror(errno)))")
    }

    /// Creates the directory of `key` and every directory above it.
    func makeDirectory(_ key: String) throws(IOError) {
        var path = root
        for part in key.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o755) != 0 && errno != EEXIST { throw failure(key, "cannot create directory") }
        }
    }

    /// Writes `bytes` as the value of `key` (its directory must exist). A file already there is
    /// unlinked first: it may be a hard link into the store being added to, which must not change.
    func put(_ key: String, _ bytes: [UInt8]) throws(IOError) {
        unlink(root + "/" + key)
        let fd = open(root + "/" + key, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw failure(key, "cannot create") }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n <= 0 { throw failure(key, "cannot write") }
            done += n
        }
    }

    func putJSON(_ key: String, _ object: [String: Any]) throws(IOError) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else {
            preconditionFailure("metadata of \(key) is not JSON")
        }
        try put(key, Array(data))
    }

    /// Creates the group at `prefix` (`""` for the root, else `a/b/`) with its attributes.
    func group(_ prefix: String, attributes: [String: Any]) throws(IOError) {
        if !prefix.isEmpty { try makeDirectory(prefix) }
        if version == 2 {
            try putJSON(prefix + ".zgroup", ["zarr_format": 2])
            if !attributes.isEmpty { try putJSON(prefix + ".zattrs", attributes) }
        } else {
            try putJSON(prefix + "zarr.json", ["zarr_format": 3, "node_type": "group", "attributes": attributes])
        }
    }
}

/// One Zarr array being written (v2, or v3 with or without `sharding_indexed`): its metadata at
/// once, then blocks of whole stored chunks (shards when sharded), every chunk of a block encoded
/// on all cores. Chunks holding only the fill value (0) are not written, as zarr-python does not
/// write them; readers give the fill value for them. Edge chunks are stored full size, padded
/// with the fill value; a shard's inner chunks wholly outside the array are marked empty.
final class ZarrArrayWriter: @unchecked Sendable {
    let node: ZarrNodeWriter
    /// The array's key prefix (`0/`, `labels/truth/1/`).
    let prefix: String
    let shape: [Int]
    let chunks: [Int]
    /// Shard extent per axis (a multiple of `chunks`), nil when unsharded.
    let shard: [Int]?
    let encoding: ElementEncoding
    let compression: ZarrCompression

    /// What a block written must be a multiple of along each axis (except at the array's end).
    var storedShape: [Int] { shard ?? chunks }

    /// Creates the array's directory and metadata.
    ///
    /// - Parameters:
    ///   - dimensionNames: the axes' names (v3 `dimension_names`).
    ///   - attributes: the array's own attributes.
    init(node: ZarrNodeWriter, prefix: String, shape: [Int], chunks: [Int], shard: [Int]?, type: ScalarType,
         compression: ZarrCompression, dimensionNames: [String], attributes: [String: Any] = [:]) throws(IOError) {
        precondition(shape.count == chunks.count && chunks.allSatisfy { $0 > 0 }, "chunks \(chunks) for shape \(shape)")
        if let shard { precondition(zip(shard, chunks).allSatisfy { $0 % $1 == 0 }, "shard \(shard) is not a multiple of chunks \(chunks)") }
        self.node = node; self.prefix = prefix; self.shape = shape; self.chunks = chunks; self.shard = node.version == 3 ? shard : nil
        encoding = ElementEncoding(writing: type)
        self.compression = compression
        try node.makeDirectory(prefix)
        let size = encoding.size
        if node.version == 2 {
            try node.putJSON(prefix + ".zarray", ["zarr_format": 2, "shape": shape, "chunks": chunks, "dtype": encoding.numpyCode,
                                                  "compressor": compression.v2Compressor(elementSize: size), "fill_value": 0,
                                                  "order": "C", "filters": NSNull(), "dimension_separator": "/"])
            if !attributes.isEmpty { try node.putJSON(prefix + ".zattrs", attributes) }
        } else {
            let bytes: [String: Any] = ["name": "bytes", "configuration": ["endian": "little"]]
            let chain: [[String: Any]]
            if self.shard != nil {
                chain = [["name": "sharding_indexed", "configuration": [
                    "chunk_shape": chunks,
                    "codecs": [bytes, compression.v3Codec(elementSize: size)],
                    "index_codecs": [bytes, ["name": "crc32c"]],
                    "index_location": "end",
                ] as [String: Any]]]
            } else {
                chain = [bytes, compression.v3Codec(elementSize: size)]
            }
            try node.putJSON(prefix + "zarr.json", [
                "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": encoding.typeName,
                "chunk_grid": ["name": "regular", "configuration": ["chunk_shape": storedShape]],
                "chunk_key_encoding": ["name": "default", "configuration": ["separator": "/"]],
                "fill_value": 0, "codecs": chain, "attributes": attributes, "dimension_names": dimensionNames,
            ])
        }
    }

    /// The key of the stored chunk (or shard) at grid position `index`.
    func key(_ index: [Int]) -> String {
        prefix + (node.version == 2 ? "" : "c/") + index.map(String.init).joined(separator: "/")
    }

    /// Writes a block of the array: `values` in C order of `extent`, starting at `origin`. The
    /// block covers whole stored chunks (shards): `origin` is a multiple of `storedShape` and each
    /// axis ends at a multiple of it or at the array's end.
    ///
    /// - Throws: `IOError(.writeFailed)` naming the chunk's key when it cannot be written.
    func write<T>(origin: [Int], extent: [Int], _ values: [T]) throws(IOError) {
        precondition(MemoryLayout<T>.stride == encoding.size, "\(T.self) values for a \(encoding.typeName) array")
        precondition(extent.reduce(1, *) == values.count, "\(values.count) values for a block of \(extent)")
        let stored = storedShape
        for a in shape.indices {
            let end = origin[a] + extent[a]
            precondition(origin[a] % stored[a] == 0 && (end % stored[a] == 0 || end == shape[a]) && end <= shape[a],
                         "block \(origin)+\(extent) is not aligned to \(stored) in \(shape)")
        }
        // The stored chunks (shards) the block covers, and the inner chunks of each.
        let grid = Self.positions(lower: zip(origin, stored).map { $0 / $1 },
                                  upper: zip(zip(origin, extent), stored).map { ($0.0 + $0.1 + $1 - 1) / $1 })
        let perShard = shard.map { zip($0, chunks).map { $0 / $1 } } ?? chunks.map { _ in 1 }
        let inner = Self.positions(lower: perShard.map { _ in 0 }, upper: perShard)
        var encoded = [[UInt8]?](repeating: nil, count: grid.count * inner.count)
        let failure = NSLock()
        var failed: IOError? = nil
        values.withUnsafeBytes { raw in
            encoded.withUnsafeMutableBufferPointer { out in
                let results = out.baseAddress!
                Parallel.forEach(grid.count * inner.count) { k in
                    let chunk = zip(grid[k / inner.count], zip(inner[k % inner.count], perShard)).map { $0 * $1.1 + $1.0 }
                    guard let bytes = self.chunkBytes(chunk, origin: origin, extent: extent, values: raw) else { return }
                    let packed = bytes.withUnsafeBytes { self.compression.encode($0, elementSize: self.encoding.size) }
                    if packed == nil {
                        failure.lock(); failed = failed ?? IOError(.writeFailed, file: self.node.reportedAs, dataset: self.key(chunk),
                                                                   "\(self.compression.rawValue) failed to compress the chunk"); failure.unlock()
                    }
                    (results + k).pointee = packed
                }
            }
        }
        if let failed { throw failed }
        // Write the stored chunks (shards) in parallel too: file creation is the slow part of a wide slab.
        Parallel.forEach(grid.count) { g in
            do throws(IOError) {
                if self.shard == nil {
                    if let bytes = encoded[g] { try self.store(grid[g], bytes) }
                } else {
                    try self.writeShard(grid[g], Array(encoded[(g * inner.count)..<((g + 1) * inner.count)]))
                }
            } catch {
                failure.lock(); failed = failed ?? error; failure.unlock()
            }
        }
        if let failed { throw failed }
    }

    private func store(_ index: [Int], _ bytes: [UInt8]) throws(IOError) {
        let k = key(index)
        if let slash = k.lastIndex(of: "/") { try node.makeDirectory(String(k[..<slash])) }
        try node.put(k, bytes)
    }

    /// A shard: its inner chunks one after another in C order, then the index of (offset, size)
    /// pairs (little-endian uint64; 2^64 − 1 twice for an empty chunk) and its CRC-32C. A shard
    /// whose chunks are all empty is not written.
    private func writeShard(_ index: [Int], _ chunks: [[UInt8]?]) throws(IOError) {
        guard chunks.contains(where: { $0 != nil }) else { return }
        var body: [UInt8] = []
        var table: [UInt64] = []
        for chunk in chunks {
            if let chunk {
                table += [UInt64(body.count), UInt64(chunk.count)]
                body += chunk
            } else {
                table += [UInt64.max, UInt64.max]
            }
        }
        var indexBytes = [UInt8](repeating: 0, count: table.count * 8)
        indexBytes.withUnsafeMutableBytes { b in for (i, v) in table.enumerated() { b.storeBytes(of: v.littleEndian, toByteOffset: i * 8, as: UInt64.self) } }
        let crc = indexBytes.withUnsafeBytes { dc_crc32c($0.baseAddress, $0.count) }
        try store(index, body + indexBytes + withUnsafeBytes(of: crc.littleEndian) { Array($0) })
    }

    /// The full-size bytes of the chunk at grid position `chunk` (C order, fill value 0 outside
    /// the array), or nil when it lies outside the array or holds only zeros.
    private func chunkBytes(_ chunk: [Int], origin: [Int], extent: [Int], values: UnsafeRawBufferPointer) -> [UInt8]? {
        let n = shape.count, size = encoding.size
        var lo = [Int](repeating: 0, count: n), hi = lo
        for a in 0..<n {
            lo[a] = chunk[a] * chunks[a]
            hi[a] = min(shape[a], lo[a] + chunks[a])
            if lo[a] >= hi[a] { return nil }
        }
        var out = [UInt8](repeating: 0, count: chunks.reduce(1, *) * size)
        var srcStrides = [Int](repeating: 1, count: n), dstStrides = srcStrides
        for a in stride(from: n - 2, through: 0, by: -1) {
            srcStrides[a] = srcStrides[a + 1] * extent[a + 1]
            dstStrides[a] = dstStrides[a + 1] * chunks[a + 1]
        }
        let row = (hi[n - 1] - lo[n - 1]) * size
        var anyNonzero = false
        out.withUnsafeMutableBytes { dst in
            var position = lo
            while true {
                var s = 0, d = 0
                for a in 0..<n {
                    s += (position[a] - origin[a]) * srcStrides[a]
                    d += (position[a] - lo[a]) * dstStrides[a]
                }
                let from = UnsafeRawBufferPointer(rebasing: values[(s * size)..<(s * size + row)])
                if !anyNonzero { anyNonzero = from.contains { $0 != 0 } }
                (dst.baseAddress! + d * size).copyMemory(from: from.baseAddress!, byteCount: row)
                var a = n - 2
                while a >= 0 {
                    position[a] += 1
                    if position[a] < hi[a] { break }
                    position[a] = lo[a]
                    a -= 1
                }
                if a < 0 { break }
            }
        }
        return anyNonzero ? out : nil
    }

    /// Every grid position with `lower[a] ≤ p[a] < upper[a]`, in C order.
    static func positions(lower: [Int], upper: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for (l, u) in zip(lower, upper) { result = result.flatMap { p in (l..<u).map { p + [$0] } } }
        return result
    }
}
