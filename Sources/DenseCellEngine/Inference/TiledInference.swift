import DenseCellCore
import Foundation

/// Something that turns one normalized window (z, y, x) into class probabilities (classes, z, y, x).
protocol WindowPredictor: AnyObject {
    var classes: Int { get }
    func predict(_ image: UnsafeBufferPointer<Float>, window: Shape3, into probabilities: UnsafeMutableBufferPointer<Float>) throws
}

/// A model run through its compiled plans.
final class ModelPredictor: WindowPredictor {
    let cache: NetworkCache
    let precision: Precision
    init(cache: NetworkCache, precision: Precision) { self.cache = cache; self.precision = precision }
    var classes: Int { cache.model.architecture.classes }
    func predict(_ image: UnsafeBufferPointer<Float>, window: Shape3, into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        try cache.network(for: window, precision: precision).run(image: image, probabilities: probabilities)
    }
}

/// Final labels (and probabilities) of a run of whole slices of the region of interest.
struct SlabResult {
    var z: Range<Int>                 // volume coordinates
    var labels: Volume<UInt8>         // (z.count, roi y, roi x)
    var probabilities: [Float]?       // (classes, z.count, roi y, roi x)
}

/// Whole-volume inference by overlapping windows (docs/ARCHITECTURE.md, "Inference"): each window's probabilities, averaged
/// over the predictors (the ensemble) and the flips (test-time augmentation), are weighted by a
/// Gaussian importance map and accumulated; the weighted mean is final for a slice once no later
/// window reaches it, and is emitted slab by slab, so only about one window's depth of slices is
/// held at a time whatever the volume's size.
final class TiledInference {
    let predictors: [WindowPredictor]
    let grid: TileGrid
    let tta: Bool
    let normalization: InputNormalization
    let wantProbabilities: Bool
    let classes: Int
    /// The slices computed and emitted: the whole region, or one block of it (`TileGrid.blocks`).
    /// The windows are those of the whole region that reach these slices, so blocks computed
    /// apart give exactly the slices of one run over the whole region.
    let output: Range<Int>

    init(predictors: [WindowPredictor], volume: Shape3, roi: Box3, window: Shape3, overlap: Double = InferenceOptions.defaultOverlap,
         output: Range<Int>? = nil, tta: Bool, normalization: InputNormalization, wantProbabilities: Bool) {
        precondition(!predictors.isEmpty)
        self.predictors = predictors
        grid = TileGrid(volume: volume, roi: roi, window: window, overlap: overlap)
        self.output = output ?? roi.z
        precondition(roi.z.lowerBound <= self.output.lowerBound && self.output.upperBound <= roi.z.upperBound && !self.output.isEmpty)
        self.tta = tta; self.normalization = normalization; self.wantProbabilities = wantProbabilities
        classes = predictors[0].classes
    }

    /// Bytes of the window buffers `run` holds: the gathered and flipped input, and the
    /// probabilities of one run, its flip and the window's sum over runs.
    static func bufferBytes(window: Shape3, classes: Int) -> Double { Double(window.count) * 4 * Double(2 + 3 * classes) }

    /// Per-slice running sums of normalized contributions, (classes, plane) float. Each window adds
    /// p · g / G, where G is the voxel's total weight over all windows: the weights are separable and
    /// the windows a grid, so G = Gz(z) · Gy(y) · Gx(x) is known before any window runs. No weight
    /// plane is kept, and a voxel seen by one window gets back p exactly (g / G = 1).
    final class SliceSums {
        let values: UnsafeMutablePointer<Float>
        let classes: Int, plane: Int
        init(classes: Int, plane: Int) {
            self.classes = classes; self.plane = plane
            values = .allocate(capacity: classes * plane); values.initialize(repeating: 0, count: classes * plane)
        }
        deinit { values.deallocate() }
    }

    /// `read(z)` returns whole slices `z` (in the volume) as float; `emit` receives final slabs in z order;
    /// `progress(done, total)` counts windows.
    func run(read: (Range<Int>) throws -> Volume<Float>, emit: (SlabResult) throws -> Void,
             cancel: CancelToken?, progress: ((Int, Int) -> Void)?, profile: PhaseProfile? = nil) throws {
        let W = grid.window, C = classes, volume = grid.volume, roi = grid.roi
        let ry = roi.y.count, rx = roi.x.count, plane = ry * rx
        let variants = tta ? 4 : 1
        let runsPerWindow = predictors.count * variants
        var sums: [Int: SliceSums] = [:]
        var emitted = output.lowerBound
        var done = 0
        // Window rows (z starts) that reach the output slices.
        let groups = grid.zStarts.indices.filter { g in
            let zs = grid.zStarts[g]
            return zs < output.upperBound && zs + W.z > output.lowerBound
        }
        let total = groups.count * grid.yStarts.count * grid.xStarts.count

        var input = [Float](repeating: 0, count: W.count)
        var flippedInput = [Float](repeating: 0, count: W.count)
        var probabilities = [Float](repeating: 0, count: C * W.count)
        var flippedOutput = [Float](repeating: 0, count: C * W.count)
        var windowSum = [Float](repeating: 0, count: C * W.count)
        let mean = normalization.mean, inverseStd = 1 / normalization.std
        let slices = SlabCache(y: volume.y, x: volume.x)
        profile?.restart()

        for group in groups {
            let zs = grid.zStarts[group]
            let zIndex = (0..<W.z).map { BoundaryMode.mirror.index(zs + $0, count: volume.z) }
            let zLo = zIndex.min()!, zHi = zIndex.max()! + 1
            let slab = try slices.read(zLo..<zHi, with: read)
            profile?.add("read")
            precondition(slab.shape == Shape3(zHi - zLo, volume.y, volume.x))
            for z in zs..<(zs + W.z) where output.contains(z) && sums[z] == nil {
                sums[z] = SliceSums(classes: C, plane: plane)
            }
            for ys in grid.yStarts {
                for xs in grid.xStarts {
                    try cancel?.throwIfCancelled()
                    let yIndex = (0..<W.y).map { BoundaryMode.mirror.index(ys + $0, count: volume.y) }
                    let xIndex = (0..<W.x).map { BoundaryMode.mirror.index(xs + $0, count: volume.x) }
                    // Columns read in order (xs + i inside the volume): a plain, vectorized loop there;
                    // the reflected columns at the volume's edges go through the index table.
                    let inner = max(0, -xs)..<max(max(0, -xs), min(W.x, volume.x - xs))
                    // Gather the window (reflected at the volume's edges) and normalize it.
                    slab.data.withUnsafeBufferPointer { src in
                        input.withUnsafeMutableBufferPointer { dst in
                            let dst = dst
                            Parallel.forEach(W.z) { k in
                                let sz = (zIndex[k] - zLo) * volume.y
                                for j in 0..<W.y {
                                    let row = (sz + yIndex[j]) * volume.x, out = (k * W.y + j) * W.x
                                    for i in 0..<inner.lowerBound { dst[out + i] = (src[row + xIndex[i]] - mean) * inverseStd }
                                    let s = src.baseAddress! + row + xs, d = dst.baseAddress! + out
                                    for i in inner { d[i] = (s[i] - mean) * inverseStd }
                                    for i in inner.upperBound..<W.x { dst[out + i] = (src[row + xIndex[i]] - mean) * inverseStd }
                                }
                            }
                        }
                    }
                    profile?.add("gather")
                    // Ensemble members and flips, summed.
                    var first = true
                    for predictor in predictors {
                        for variant in 0..<variants {
                            try cancel?.throwIfCancelled()
                            let flipY = variant & 1 != 0, flipX = variant & 2 != 0
                            if variant == 0 {
                                try input.withUnsafeBufferPointer { i in
                                    try probabilities.withUnsafeMutableBufferPointer { o in try predictor.predict(i, window: W, into: o) }
                                }
                            } else {
                                Self.flip(input, into: &flippedInput, channels: 1, W, y: flipY, x: flipX)
                                try flippedInput.withUnsafeBufferPointer { i in
                                    try flippedOutput.withUnsafeMutableBufferPointer { o in try predictor.predict(i, window: W, into: o) }
                                }
                                Self.flip(flippedOutput, into: &probabilities, channels: C, W, y: flipY, x: flipX)
                            }
                            if first {
                                swap(&windowSum, &probabilities)
                                first = false
                            } else {
                                Self.add(probabilities, into: &windowSum)
                            }
                        }
                    }
                    if runsPerWindow > 1 {
                        let scale = 1 / Float(runsPerWindow)
                        for i in 0..<windowSum.count { windowSum[i] *= scale }
                    }
                    profile?.add("network")
                    accumulate(windowSum, at: (zs, ys, xs), into: sums)
                    profile?.add("blend")
                    done += 1
                    progress?(done, total)
                }
            }
            // Slices below the next group's first slice get no more contributions.
            let finalEnd = group + 1 < grid.zStarts.count ? min(max(grid.zStarts[group + 1], emitted), output.upperBound)
                                                           : output.upperBound
            if finalEnd > emitted {
                let result = finish(emitted..<finalEnd, sums: sums)
                profile?.add("finish")
                try emit(result)
                profile?.add("write")
                for z in emitted..<finalEnd { sums[z] = nil }
                emitted = finalEnd
            }
        }
    }

    /// Adds one window's Gaussian-weighted, normalized probabilities to the slices of the region it overlaps.
    private func accumulate(_ p: [Float], at origin: (Int, Int, Int), into sums: [Int: SliceSums]) {
        let W = grid.window, C = classes, roi = grid.roi, rx = roi.x.count
        let (zs, ys, xs) = origin
        let y0 = max(ys, roi.y.lowerBound), y1 = min(ys + W.y, roi.y.upperBound)
        let x0 = max(xs, roi.x.lowerBound), x1 = min(xs + W.x, roi.x.upperBound)
        guard y0 < y1, x0 < x1 else { return }
        let slices = (0..<W.z).compactMap { k in sums[zs + k].map { (k, $0) } }
        // Per-axis share of this window in each voxel's total weight.
        let rz = (0..<W.z).map { k in roi.z.contains(zs + k) ? grid.gz[k] / grid.totalZ[zs + k - roi.z.lowerBound] : 0 }
        let ry = (y0..<y1).map { y in grid.gy[y - ys] / grid.totalY[y - roi.y.lowerBound] }
        let rxShare = (x0..<x1).map { x in grid.gx[x - xs] / grid.totalX[x - roi.x.lowerBound] }
        p.withUnsafeBufferPointer { p in
            let rows = y1 - y0
            Parallel.forEach(slices.count * rows) { task in
                let (k, s) = slices[task / rows]
                let y = y0 + task % rows, j = y - ys
                let fzy = rz[k] * ry[y - y0]
                let outRow = (y - roi.y.lowerBound) * rx - roi.x.lowerBound + x0
                let inRow = (k * W.y + j) * W.x + (x0 - xs)
                let n = x1 - x0
                // Class by class along the row: contiguous in both buffers.
                for c in 0..<C {
                    let src = c * W.count + inRow, dst = c * s.plane + outRow
                    for i in 0..<n { s.values[dst + i] += (fzy * rxShare[i]) * p[src + i] }
                }
            }
        }
    }

    /// Final probabilities and their argmax (lowest class on ties) for whole slices `z`.
    private func finish(_ z: Range<Int>, sums: [Int: SliceSums]) -> SlabResult {
        let roi = grid.roi, C = classes
        let plane = roi.y.count * roi.x.count, n = z.count
        var labels = [UInt8](repeating: 0, count: n * plane)
        var probabilities = [Float](repeating: 0, count: wantProbabilities ? C * n * plane : 0)
        let slices = z.map { sums[$0]! }
        let keep = wantProbabilities
        labels.withUnsafeMutableBufferPointer { labels in
          probabilities.withUnsafeMutableBufferPointer { probabilities in
            let labels = labels, pp = keep ? probabilities : nil
            Parallel.forEach(n) { s in
                let values = slices[s].values
                for v in 0..<plane {
                    var best = 0
                    var bestValue = values[v]
                    for c in 1..<C where values[c * plane + v] > bestValue { bestValue = values[c * plane + v]; best = c }
                    labels[s * plane + v] = UInt8(best)
                }
                if let pp {
                    for c in 0..<C { (pp.baseAddress! + (c * n + s) * plane).update(from: values + c * plane, count: plane) }
                }
            }
          }
        }
        return SlabResult(z: z, labels: Volume(shape: Shape3(n, roi.y.count, roi.x.count), data: labels),
                          probabilities: keep ? probabilities : nil)
    }

    /// Mirrors (channels, z, y, x) data along y and/or x.
    static func flip(_ src: [Float], into dst: inout [Float], channels: Int, _ W: Shape3, y: Bool, x: Bool) {
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                let d = d
                Parallel.forEach(channels * W.z) { ck in
                    for j in 0..<W.y {
                        let sj = y ? W.y - 1 - j : j
                        let inRow = (ck * W.y + sj) * W.x, outRow = (ck * W.y + j) * W.x
                        if x { for i in 0..<W.x { d[outRow + i] = s[inRow + W.x - 1 - i] } }
                        else { for i in 0..<W.x { d[outRow + i] = s[inRow + i] } }
                    }
                }
            }
        }
    }

    static func add(_ src: [Float], into dst: inout [Float]) {
        src.withUnsafeBufferPointer { s in dst.withUnsafeMutableBufferPointer { d in for i in 0..<d.count { d[i] += s[i] } } }
    }
}

/// The last slab read, so that consecutive window rows, which share slices when windows overlap
/// in z, read only the slices they add.
final class SlabCache {
    let y: Int, x: Int
    private var z: Range<Int> = 0..<0
    private var data: [Float] = []
    init(y: Int, x: Int) { self.y = y; self.x = x }

    /// Slices `range` (whole y and x), read through `read` except those kept from the previous call.
    func read(_ range: Range<Int>, with read: (Range<Int>) throws -> Volume<Float>) throws -> Volume<Float> {
        let plane = y * x
        var out: [Float]
        if z.lowerBound <= range.lowerBound && range.upperBound <= z.upperBound {
            out = Array(data[((range.lowerBound - z.lowerBound) * plane)..<((range.upperBound - z.lowerBound) * plane)])
        } else if z.lowerBound <= range.lowerBound && range.lowerBound < z.upperBound {
            out = Array(data[((range.lowerBound - z.lowerBound) * plane)...])
            out += try read(z.upperBound..<range.upperBound).data
        } else {
            out = try read(range).data
        }
        z = range; data = out
        return Volume(shape: Shape3(range.count, y, x), data: out)
    }
}
