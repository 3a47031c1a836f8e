import DenseCellCore

/// How whole-volume inference tiles and computes.
public struct InferenceOptions: Sendable {
    /// Window (z, y, x); y and x must be multiples of 4.
    public var window: Shape3 = InferenceOptions.defaultWindow
    /// Fraction of the window neighbouring windows share, in y and x and (rounded down to whole
    /// slices) in z: the step between windows is ⌊window · (1 − overlap)⌋, at least 1.
    /// 0 tiles without overlap; 0.5 steps half a window (2×256×256 for the 5×512×512 window).
    public var overlap: Double = InferenceOptions.defaultOverlap
    /// Test-time augmentation: also run the flips along y, x and both, and average.
    public var tta: Bool = false
    /// Arithmetic of the convolutions (default `Precision.automatic`: bf16 where the CPU runs it natively, else f32).
    public var precision: Precision = .automatic
    /// Options with the defaults of `densecell segment`.
    public init(window: Shape3 = InferenceOptions.defaultWindow, overlap: Double = InferenceOptions.defaultOverlap, tta: Bool = false,
                precision: Precision = .automatic) {
        self.window = window; self.overlap = overlap; self.tta = tta; self.precision = precision
    }

    /// The default window and overlap, chosen from the measured table of time and MIoU against
    /// window and overlap (docs/ARCHITECTURE.md, Inference): the least work within 0.003 MIoU(all)
    /// of overlap 0.5 at 5×256×256. With the shipped ensemble on unseen 48×512×512 phantoms,
    /// 5×512×512 at 0.25 computes 1.67 voxels per voxel segmented where 5×256×256 at 0.25 computes
    /// 3.75, with the same MIoU (0.8242; 0.8263 at 5×256×256, 0.5): the seams that cost accuracy
    /// are in z. Overlap 0.125 is 0.004 below the reference, 9 slices deep at least 0.006.
    public static let defaultWindow = Shape3(5, 512, 512)
    public static let defaultOverlap = 0.25

    /// Overlaps accepted: at least 0, below 1.
    public static func isValidOverlap(_ f: Double) -> Bool { f >= 0 && f < 1 }
}

/// Reported after every window and whenever a slab of slices becomes final.
public struct InferenceProgress: Sendable {
    /// Voxel-window work done so far, and in all (progress is their ratio).
    public var voxelsDone: Int, voxelsTotal: Int
    /// A region (in volume coordinates) whose labels are now final, if any.
    var finished: Box3?
    /// The labels of `finished`.
    var finishedLabels: Volume<UInt8>?
    /// A progress report; `finishedLabels` has the shape of `finished`.
    init(voxelsDone: Int, voxelsTotal: Int, finished: Box3? = nil, finishedLabels: Volume<UInt8>? = nil) {
        self.voxelsDone = voxelsDone; self.voxelsTotal = voxelsTotal; self.finished = finished; self.finishedLabels = finishedLabels
    }
}

/// The result of `Ensemble.segment`: labels (and optionally probabilities) of the region of interest.
public struct Segmentation: Sendable {
    /// The region segmented, in volume coordinates.
    public var roi: Box3
    /// One class per voxel of `roi` (shape `roi.shape`).
    public var labels: Volume<UInt8>
    /// Class probabilities laid out (classes, z, y, x) over `roi`, when they were requested.
    public var probabilities: [Float]?
    /// A result of `labels` (and `probabilities`) over `roi`.
    init(roi: Box3, labels: Volume<UInt8>, probabilities: [Float]?) {
        self.roi = roi; self.labels = labels; self.probabilities = probabilities
    }
}

/// Intensity normalization for inference (docs/ARCHITECTURE.md, "Inference"): the segmented volume scaled to mean 0,
/// std 1 (population std, as in training), computable slab by slab for volumes larger than memory.
public struct InputNormalization: Sendable, Equatable {
    /// Mean intensity of the volume.
    public var mean: Float
    /// Population standard deviation; 1 when the volume is constant.
    public var std: Float
    /// - Parameters:
    ///   - mean: the volume's mean intensity.
    ///   - std: its standard deviation; zero or not finite stands for 1.
    public init(mean: Float, std: Float) { self.mean = mean; self.std = std > 0 && std.isFinite ? std : 1 }

    /// Running sums that can be fed slab by slab (for files larger than memory).
    public struct Accumulator: Sendable {
        var sum = 0.0, sumSquares = 0.0, count = 0
        /// Nothing added yet.
        public init() {}
        /// Adds the values of one slab.
        public mutating func add(_ values: [Float]) {
            // Per-slab partial sums in double, added in a fixed order: deterministic and parallel.
            let parts = max(1, min(16, values.count / 65536))
            var partial = [(Double, Double)](repeating: (0, 0), count: parts)
            values.withUnsafeBufferPointer { v in
                partial.withUnsafeMutableBufferPointer { out in
                    let out = out
                    Parallel.forEach(parts) { p in
                        let lo = v.count * p / parts, hi = v.count * (p + 1) / parts
                        var s = 0.0, q = 0.0
                        for i in lo..<hi { let x = Double(v[i]); s += x; q += x * x }
                        out[p] = (s, q)
                    }
                }
            }
            for (s, q) in partial { sum += s; sumSquares += q }
            count += values.count
        }
        /// Adds `count` copies of one value (a region never written: its fill value).
        public mutating func add(_ value: Float, count n: Int) {
            let v = Double(value)
            sum += v * Double(n); sumSquares += v * v * Double(n); count += n
        }
        /// The normalization of everything added.
        public var result: InputNormalization {
            guard count > 0 else { return InputNormalization(mean: 0, std: 1) }
            let mean = sum / Double(count)
            let variance = max(0, sumSquares / Double(count) - mean * mean)
            return InputNormalization(mean: Float(mean), std: Float(variance.squareRoot()))
        }
    }

    /// The normalization of a volume in memory.
    public static func of(_ image: Volume<Float>) -> InputNormalization {
        var a = Accumulator()
        a.add(image.data)
        return a.result
    }
}
