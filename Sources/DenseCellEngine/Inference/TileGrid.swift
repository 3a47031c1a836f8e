import DenseCellCore
import Foundation

/// Where windows go and how much each voxel of a window counts (docs/ARCHITECTURE.md, "Inference").
struct TileGrid {
    let volume: Shape3
    let roi: Box3
    let window: Shape3
    let zStarts: [Int], yStarts: [Int], xStarts: [Int]
    /// Separable Gaussian importance weights per axis of the window.
    let gz: [Float], gy: [Float], gx: [Float]
    /// Summed weight of all windows per axis, for each index of the region of interest: the total
    /// weight of voxel (z, y, x) is totalZ · totalY · totalX (windows form a grid, weights are separable).
    let totalZ: [Float], totalY: [Float], totalX: [Float]

    init(volume: Shape3, roi: Box3, window: Shape3, overlap: Double = InferenceOptions.defaultOverlap) {
        self.volume = volume; self.roi = roi; self.window = window
        zStarts = Self.starts(roi.z, window: window.z, step: Self.step(window.z, overlap: overlap), length: volume.z)
        yStarts = Self.starts(roi.y, window: window.y, step: Self.step(window.y, overlap: overlap), length: volume.y)
        xStarts = Self.starts(roi.x, window: window.x, step: Self.step(window.x, overlap: overlap), length: volume.x)
        gz = Self.gaussian(window.z); gy = Self.gaussian(window.y); gx = Self.gaussian(window.x)
        totalZ = Self.coverage(roi.z, starts: zStarts, weights: gz)
        totalY = Self.coverage(roi.y, starts: yStarts, weights: gy)
        totalX = Self.coverage(roi.x, starts: xStarts, weights: gx)
    }

    /// Distance between neighbouring window starts along an axis: neighbours share at least
    /// `overlap` of the window (⌊n · (1 − overlap)⌋, at least 1; the tolerance keeps 0.5 of 256 at 128).
    static func step(_ n: Int, overlap: Double) -> Int {
        max(1, Int((Double(n) * (1 - overlap) + 1e-9).rounded(.down)))
    }

    /// The z-slices of the region of interest cut into `count` blocks at window starts, so each
    /// block's windows are those of a run over the whole region that reach it (docs/ARCHITECTURE.md,
    /// Cluster). Each cut is the window start nearest to an even split. Nil when there are fewer
    /// z window positions than blocks.
    func blocks(_ count: Int) -> [Range<Int>]? {
        let groups = zStarts.count
        guard count >= 1, count <= groups else { return nil }
        var bounds = [roi.z.lowerBound]
        var previous = 0
        for i in 1..<count {
            let target = Double(roi.z.lowerBound) + Double(i * roi.z.count) / Double(count)
            // Leave one window start for each block still to come.
            let candidates = (previous + 1)...(groups - (count - i))
            let g = candidates.min { abs(Double(zStarts[$0]) - target) < abs(Double(zStarts[$1]) - target) }!
            bounds.append(zStarts[g])
            previous = g
        }
        bounds.append(roi.z.upperBound)
        return (0..<count).map { bounds[$0]..<bounds[$0 + 1] }
    }

    /// Σ over windows of their weight at each index of `range` (one window: exactly its weight).
    static func coverage(_ range: Range<Int>, starts: [Int], weights: [Float]) -> [Float] {
        range.map { i in
            var sum: Float = 0
            for s in starts where s <= i && i < s + weights.count { sum += weights[i - s] }
            return sum
        }
    }

    var windowCount: Int { zStarts.count * yStarts.count * xStarts.count }

    /// Window starts covering `range`: stepped, the last one flush with the end. A range shorter
    /// than the window gets one window centred on it, moved inside the volume when the volume is
    /// long enough (so it sees real context) and otherwise filled by reflection.
    static func starts(_ range: Range<Int>, window: Int, step: Int, length: Int) -> [Int] {
        if range.count <= window {
            var s = range.lowerBound - (window - range.count) / 2
            if length >= window { s = min(max(s, 0), length - window) }
            return [s]
        }
        var out: [Int] = []
        var p = range.lowerBound
        while p + window < range.upperBound { out.append(p); p += step }
        out.append(range.upperBound - window)
        return out
    }

    /// exp(−d² / 2σ²) with σ = n/8 around the window centre, largest weight 1 (as nnU-Net).
    static func gaussian(_ n: Int) -> [Float] {
        let sigma = Double(n) / 8, centre = Double(n - 1) / 2
        return (0..<n).map { i in
            let d = Double(i) - centre
            return Float(max(exp(-d * d / (2 * sigma * sigma)), 1e-6))
        }
    }
}
