import DenseCellCore
import Foundation

/// `info`'s statistics of opened volumes and arrays, read slab by slab in bounded memory (see
/// docs/ARCHITECTURE.md, "Volumes and files").
public enum StreamingStatistics {
    /// The (z, y, x) shape a volume of `shape` has after binning by `factors`.
    public static func binnedShape(_ shape: Shape3, _ factors: Shape3?) -> Shape3 {
        guard let f = factors else { return shape }
        return Binning.outShape(shape, f)
    }

    /// Range, mean and (for labels) histogram of a volume, optionally binned on read.
    ///
    /// - Parameters:
    ///   - bin: factors per axis (mean for images, mode for labels); slabs are whole bins deep.
    ///   - labels: count the 0…255 histogram, and bin by mode.
    ///   - progress: called after each slab with the slices done and the total.
    /// - Throws: `IOError` from reading; `IOError(.tooLarge)` when one plane does not fit the read budget.
    public static func of(_ source: VolumeSource, bin: Shape3? = nil, labels: Bool,
                          progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> ValueStatistics {
        let factors = bin == Shape3(1, 1, 1) ? nil : bin
        let shape = source.shape
        var zEnd = shape.z
        // Whole bins per slab; a partial bin at the far edge is dropped, as `Binning` does.
        if let f = factors, f.z > 1, shape.z >= f.z { zEnd = shape.z - shape.z % f.z }
        // Per voxel besides the value as read: a double, and a float when binning means.
        let pass = try SlabPass([(source, .stored)], extraBytesPerVoxel: 8 + (factors == nil ? 0 : 4),
                                z: 0..<zEnd, grain: factors?.z ?? 1, sparse: factors == nil)
        var stats = ValueStatistics(histogram: labels)
        try pass.run(progress: progress ?? { _, _ in }) { slab in
            // A region never written holds the fill value: counted, not read.
            if let fill = slab.uniformValue(source) { stats.add(fill, count: slab.box.shape.count); return }
            var v = slab.stored(source)
            if let f = factors { v = Binning.bin(v, factors: f, labels: labels) }
            switch v {
            // Unsigned 8- and 16-bit data (images, labels) are counted by value: no conversion per voxel.
            case .uint8(let u): stats.add(valueCounts: counts(u.data, values: 256))
            case .uint16(let u): stats.add(valueCounts: counts(u.data, values: 65536))
            // Wide integers keep an exact range (a double holds integers exactly only below 2^53).
            case .int64(let w): stats.add(integers: w.data)
            default: stats.add(v.asDouble().data)
            }
        }
        return stats
    }

    /// How often each value occurs, counted on every core.
    static func counts<T: FixedWidthInteger & UnsignedInteger>(_ data: [T], values: Int) -> [Int] {
        let parts = max(1, min(ProcessInfo.processInfo.activeProcessorCount, data.count / (1 << 20)))
        var tables = [[Int]](repeating: [], count: parts)
        data.withUnsafeBufferPointer { d in
            tables.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(parts) { p in
                    var table = [Int](repeating: 0, count: values)
                    let lo = d.count * p / parts, hi = d.count * (p + 1) / parts
                    table.withUnsafeMutableBufferPointer { t in
                        for i in lo..<hi { t[Int(d[i])] &+= 1 }
                    }
                    out[p] = table
                }
            }
        }
        var total = [Int](repeating: 0, count: values)
        for table in tables { for i in 0..<values { total[i] += table[i] } }
        return total
    }

    /// Range and mean of an HDF5 array of any rank (probabilities, weights), read a block of its
    /// two fastest axes' planes at a time.
    ///
    /// - Throws: `IOError` from reading; `IOError(.tooLarge)` when one plane does not fit the read budget.
    public static func of(_ dataset: HDF5Dataset, progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> ValueStatistics {
        let dims = dataset.info.dims
        var stats = ValueStatistics(histogram: false)
        guard dims.count >= 3 else {
            stats.add(try dataset.read(start: dims.map { _ in 0 }, count: dims, as: .float64, of: Double.self))
            return stats
        }
        // Planes are the two fastest axes; blocks run along the third fastest within each index of the slower ones.
        let plane = dims[dims.count - 2] * dims[dims.count - 1]
        let bytes = plane * 8
        guard bytes <= ReadBudget.planeLimitBytes else {
            throw IOError(.tooLarge, file: dataset.file.path, dataset: dataset.info.name,
                          "one plane of \(dims.suffix(2).map(String.init).joined(separator: "×")) values exceeds the "
                          + "\(ReadBudget.bytesText(ReadBudget.planeLimitBytes)) a streaming pass may hold")
        }
        let depthAxis = dims.count - 3
        let outer = dims.prefix(depthAxis).reduce(1, *)
        let depth = min(dims[depthAxis], ReadBudget.slabDepth(bytesPerPlane: bytes))
        let total = outer * dims[depthAxis]
        var done = 0
        for o in 0..<outer {
            var index = [Int](repeating: 0, count: depthAxis)
            var rest = o
            for a in stride(from: depthAxis - 1, through: 0, by: -1) { index[a] = rest % dims[a]; rest /= dims[a] }
            var d = 0
            while d < dims[depthAxis] {
                let n = min(depth, dims[depthAxis] - d)
                let start = index + [d, 0, 0]
                let count = [Int](repeating: 1, count: depthAxis) + [n] + dims.suffix(2)
                stats.add(try dataset.read(start: start, count: count, as: .float64, of: Double.self))
                d += n; done += n
                progress?(done, total)
            }
        }
        return stats
    }
}
