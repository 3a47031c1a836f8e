import CHDF5
import DenseCellCore
import Foundation

/// One HDF5 dataset held open for many hyperslab reads, with a chunk cache sized for reading it in
/// z-slabs: one layer of chunks across the whole plane, so a slab that ends inside a chunk layer
/// leaves that layer decompressed for the next slab (see docs/ARCHITECTURE.md, "Volumes and files").
public final class HDF5Dataset: @unchecked Sendable {
    /// The file it belongs to (kept open while the dataset is).
    public let file: HDF5File
    /// Shape, type, chunking and filters.
    public let info: DatasetInfo
    /// Bytes of the chunk cache asked of HDF5 (0 for contiguous data).
    let chunkCacheBytes: Int
    let id: hid_t

    /// The largest chunk cache one dataset gets.
    static let chunkCacheLimit = 256 << 20

    /// Opens `name` in `file`.
    ///
    /// - Throws: `IOError(.missingDataset)` when there is no such dataset.
    public init(file: HDF5File, name: String) throws(IOError) {
        let info = try file.info(name)
        self.file = file
        self.info = info
        var bytes = 0, slots = 521
        if let chunks = info.chunks, chunks.count == info.dims.count, chunks.count >= 2 {
            let elementBytes = info.scalarType?.byteSize ?? 1
            let chunkBytes = chunks.reduce(elementBytes, *)
            // Chunks across the two fastest axes (the plane), times the chunk depth of the others: one layer.
            let across = zip(info.dims.suffix(2), chunks.suffix(2)).reduce(1) { $0 * (($1.0 + $1.1 - 1) / max(1, $1.1)) }
            bytes = min(Self.chunkCacheLimit, max(1 << 20, across * chunkBytes))
            // A prime count of slots, a few per chunk that fits. HDF5 advises about 100 per chunk, but
            // with that many the Debian build (1.10) kept far more decompressed chunks than the cache's
            // size while streaming a 1-Gvoxel study (800 MB instead of 320 MB for evaluate).
            slots = Self.prime(atLeast: max(521, 8 * (bytes / max(1, chunkBytes))))
        }
        chunkCacheBytes = bytes
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let d = dc_h5d_open_cached(file.id, info.name, max(bytes, 1 << 20), slots)
        if d < 0 { throw IOError(.missingDataset, file: file.path, dataset: info.name, "not a dataset") }
        id = d
    }

    deinit {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        H5Dclose(id)
    }

    /// Reads the hyperslab `start`/`count` converted to `type` (C order).
    ///
    /// - Throws: `IOError(.unsupportedType)` for a value `type` cannot hold, `.corrupt` when the read fails.
    public func read<T: Numeric>(start: [Int], count: [Int], as type: ScalarType, of: T.Type) throws(IOError) -> [T] {
        precondition(start.count == info.dims.count && count.count == info.dims.count, "hyperslab rank differs from the dataset's")
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        return try file.readChecked(id, info, as: type, of: T.self, start: start, count: count)
    }

    static func prime(atLeast n: Int) -> Int {
        var p = max(2, n)
        func isPrime(_ v: Int) -> Bool {
            if v < 4 { return v > 1 }
            if v % 2 == 0 { return false }
            var d = 3
            while d * d <= v { if v % d == 0 { return false }; d += 2 }
            return true
        }
        while !isPrime(p) { p += 1 }
        return p
    }
}
