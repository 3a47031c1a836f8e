import Foundation

/// The N×N agreement matrices of a set of label sources.
public struct PairwiseComparison: Sendable {
    /// The sources, in row and column order.
    public var names: [String]
    /// `miouOrg[i][j]` = MIoU over the organelle classes of source i (rows, truth) against j.
    public var miouOrg: [[Double?]]
    /// `miouAll[i][j]` = MIoU over all classes of source i against j.
    public var miouAll: [[Double?]]
    /// - Parameters:
    ///   - names: the sources.
    ///   - miouOrg: MIoU(org) of every ordered pair.
    ///   - miouAll: MIoU(all) of every ordered pair.
    public init(names: [String], miouOrg: [[Double?]], miouAll: [[Double?]]) {
        self.names = names; self.miouOrg = miouOrg; self.miouAll = miouAll
    }
}

/// The paper's segmentation metrics as pure functions over label volumes (docs/ARCHITECTURE.md, "Metrics").
///
/// Every function makes one pass over the voxels, in parallel over z-slabs, with per-slab
/// counters merged at the end: nothing is allocated per voxel. Voxels outside the labeled region
/// (any mask equal to 0) are not counted, and neither are label values ≥ the class count (check
/// labels against the schema when reading them, as `VolumeReader.readLabels` does).
public enum Metrics {
    /// Voxels handled per mask-combining block: small enough to stay in L1 cache.
    static let block = 4096

    /// Confusion matrix of two label volumes.
    ///
    /// - Parameters:
    ///   - truth: labels of the reference (rows, t).
    ///   - prediction: labels compared against it (columns, p); same shape as `truth`.
    ///   - classes: number of classes; labels ≥ `classes` are skipped.
    ///   - masks: volumes of the same shape; only voxels where every mask is nonzero are counted.
    ///   - z: the z-slices to count (nil = all).
    /// - Returns: `C[t][p] = #{v : truth(v) = t, prediction(v) = p, mask_k(v) ≠ 0 ∀k}`.
    public static func confusion(truth: Volume<UInt8>, prediction: Volume<UInt8>, classes: Int,
                                 masks: [Volume<UInt8>] = [], z: Range<Int>? = nil) -> ConfusionMatrix {
        precondition(truth.shape == prediction.shape, "truth \(truth.shape) and prediction \(prediction.shape) differ in shape")
        for m in masks { precondition(m.shape == truth.shape, "mask \(m.shape) does not match labels \(truth.shape)") }
        let planes = clampedZ(z, truth.shape)
        let plane = truth.shape.planeCount
        let c = classes
        let parts: [[Int]] = truth.data.withUnsafeBufferPointer { tb in
            prediction.data.withUnsafeBufferPointer { pb in
                withPointers(masks) { maskPointers in
                    let t = tb.baseAddress!, p = pb.baseAddress!
                    return Parallel.map(slabsOf: planes) { slab in
                        // Four interleaved tables: neighbouring voxels usually share a class, and
                        // incrementing one counter back to back stalls on the store before it.
                        let c2 = c * c
                        var tables = [Int](repeating: 0, count: 4 * c2)
                        tables.withUnsafeMutableBufferPointer { cb in
                            let counts = cb.baseAddress!
                            // `weight` is 1, or the mask's 0/1 so masked voxels cost no branch.
                            @inline(__always) func add(_ i: Int, _ table: Int, _ weight: Int) {
                                let a = Int(t[i]), b = Int(p[i])
                                if a < c && b < c { counts[table &+ a &* c &+ b] &+= weight }
                            }
                            forEachBlock(slab.lowerBound * plane..<slab.upperBound * plane, masks: maskPointers) { range, keep in
                                var i = range.lowerBound
                                let start = range.lowerBound
                                let end4 = start + (range.count & ~3)
                                if let keep {
                                    while i < end4 {
                                        let k = i - start
                                        add(i, 0, Int(keep[k])); add(i + 1, c2, Int(keep[k + 1]))
                                        add(i + 2, 2 * c2, Int(keep[k + 2])); add(i + 3, 3 * c2, Int(keep[k + 3]))
                                        i += 4
                                    }
                                    while i < range.upperBound { add(i, 0, Int(keep[i - start])); i += 1 }
                                } else {
                                    while i < end4 {
                                        add(i, 0, 1); add(i + 1, c2, 1); add(i + 2, 2 * c2, 1); add(i + 3, 3 * c2, 1)
                                        i += 4
                                    }
                                    while i < range.upperBound { add(i, 0, 1); i += 1 }
                                }
                            }
                        }
                        return (0..<c2).map { tables[$0] + tables[c2 + $0] + tables[2 * c2 + $0] + tables[3 * c2 + $0] }
                    }
                }
            }
        }
        var matrix = ConfusionMatrix(classes: classes)
        for part in parts { for i in 0..<part.count { matrix.counts[i] += part[i] } }
        return matrix
    }

    /// One confusion matrix per z-slice, in one parallel pass (for slice metrics and for ranking
    /// slices by disagreement).
    ///
    /// - Returns: `result[z]` = `confusion(truth:prediction:classes:masks:z: z..<z+1)` for every slice z.
    public static func confusionPerSlice(truth: Volume<UInt8>, prediction: Volume<UInt8>, classes: Int,
                                         masks: [Volume<UInt8>] = []) -> [ConfusionMatrix] {
        precondition(truth.shape == prediction.shape, "truth \(truth.shape) and prediction \(prediction.shape) differ in shape")
        let slabs = Parallel.map(slabsOf: 0..<truth.shape.z) { slab in
            slab.map { z in confusionOfSlice(truth, prediction, classes: classes, masks: masks, z: z) }
        }
        return slabs.flatMap { $0 }
    }

    /// A single slice counted on the calling thread.
    static func confusionOfSlice(_ truth: Volume<UInt8>, _ prediction: Volume<UInt8>, classes c: Int,
                                 masks: [Volume<UInt8>], z: Int) -> ConfusionMatrix {
        let plane = truth.shape.planeCount
        var matrix = ConfusionMatrix(classes: c)
        truth.data.withUnsafeBufferPointer { tb in
            prediction.data.withUnsafeBufferPointer { pb in
                withPointers(masks) { maskPointers in
                    matrix.counts.withUnsafeMutableBufferPointer { counts in
                        forEachBlock(z * plane..<(z + 1) * plane, masks: maskPointers) { range, keep in
                            for i in range where keep == nil || keep![i - range.lowerBound] != 0 {
                                let a = Int(tb[i]), b = Int(pb[i])
                                if a < c && b < c { counts[a &* c &+ b] &+= 1 }
                            }
                        }
                    }
                }
            }
        }
        return matrix
    }

    /// Number of voxels of each label value 0…255 inside the region where every mask is nonzero.
    ///
    /// - Returns: `h[l] = #{v : labels(v) = l, mask_k(v) ≠ 0 ∀k}` for l in 0…255.
    public static func histogram(_ labels: Volume<UInt8>, masks: [Volume<UInt8>] = [], z: Range<Int>? = nil) -> [Int] {
        for m in masks { precondition(m.shape == labels.shape, "mask \(m.shape) does not match labels \(labels.shape)") }
        let planes = clampedZ(z, labels.shape)
        let plane = labels.shape.planeCount
        let parts: [[Int]] = labels.data.withUnsafeBufferPointer { lb in
            withPointers(masks) { maskPointers in
                let l = lb.baseAddress!
                return Parallel.map(slabsOf: planes) { slab in
                    var counts = [Int](repeating: 0, count: 256)
                    counts.withUnsafeMutableBufferPointer { cb in
                        let counts = cb.baseAddress!
                        forEachBlock(slab.lowerBound * plane..<slab.upperBound * plane, masks: maskPointers) { range, keep in
                            if let keep {
                                for i in range where keep[i - range.lowerBound] != 0 { counts[Int(l[i])] &+= 1 }
                            } else {
                                for i in range { counts[Int(l[i])] &+= 1 }
                            }
                        }
                    }
                    return counts
                }
            }
        }
        var total = [Int](repeating: 0, count: 256)
        for part in parts { for i in 0..<256 { total[i] += part[i] } }
        return total
    }

    /// Organelle volume fractions of one label source.
    ///
    /// - Parameters:
    ///   - labels: the source's labels.
    ///   - schema: class count and organelle set.
    ///   - cellMask: the cell region (nonzero voxels); nil = the source's own non-background voxels.
    ///   - masks: labeled-region masks; only voxels where every mask is nonzero count.
    ///   - z: the z-slices to count (nil = all).
    /// - Returns: Indexed by class (count = `schema.count`):
    ///   `f[j] = #{v ∈ R : labels(v) = j} / #{v ∈ R : 0 < labels(v) < classes}` for organelle
    ///   classes j, with R = the masks' region ∩ the cell mask; nil for non-organelle classes and
    ///   when the denominator is 0.
    public static func volumeFractions(_ labels: Volume<UInt8>, schema: LabelSchema, cellMask: Volume<UInt8>? = nil,
                                       masks: [Volume<UInt8>] = [], z: Range<Int>? = nil) -> [Double?] {
        volumeFractions(histogram: histogram(labels, masks: masks + (cellMask.map { [$0] } ?? []), z: z), schema: schema)
    }

    /// Organelle volume fractions from a label histogram (as `histogram` returns it), the finishing
    /// step of `volumeFractions(_:schema:cellMask:masks:z:)`: histograms of z-slabs add up, so a
    /// streaming pass sums them and finishes here with the same fractions as one pass.
    ///
    /// - Returns: `f[j] = h[j] / Σ_{0 < l < classes} h[l]` for organelle classes j; nil for other
    ///   classes and when the denominator is 0.
    public static func volumeFractions(histogram h: [Int], schema: LabelSchema) -> [Double?] {
        let cellVoxels = (1..<max(1, min(schema.count, h.count))).reduce(0) { $0 + h[$1] }
        let organelles = Set(schema.organelles)
        return (0..<schema.count).map { j in
            guard organelles.contains(j), j < h.count, cellVoxels > 0 else { return nil }
            return Double(h[j]) / Double(cellVoxels)
        }
    }

    /// MIoU(org) and MIoU(all) of every ordered pair of label sources.
    ///
    /// - Parameters:
    ///   - sources: label volumes of one shape; each source's own `mask` restricts every pair it is in.
    ///   - schema: class count and organelle set.
    ///   - z: the z-slices to count (nil = all).
    /// - Returns: N×N matrices with `[i][j]` = MIoU(D) of the confusion matrix of source i (truth) against
    ///   source j, D = organelles or all classes. IoU is symmetric, so the matrices are too; the
    ///   diagonal is 1 wherever a class is present.
    public static func pairwise(_ sources: [LabelSource], schema: LabelSchema, z: Range<Int>? = nil) -> PairwiseComparison {
        pairwise(names: sources.map(\.name), schema: schema) { i, j in
            let masks = [sources[i].mask, sources[j].mask].compactMap { $0 }
            return confusion(truth: sources[i].labels, prediction: sources[j].labels, classes: schema.count, masks: masks, z: z)
        }
    }

    /// The pairwise matrices from the confusion matrix of each pair i ≤ j (source i as truth),
    /// however those were counted (in one pass, or summed over z-slabs).
    public static func pairwise(names: [String], schema: LabelSchema,
                                confusion: (_ i: Int, _ j: Int) -> ConfusionMatrix?) -> PairwiseComparison {
        let n = names.count
        var org = [[Double?]](repeating: [Double?](repeating: nil, count: n), count: n)
        var all = org
        let allClasses = Array(0..<schema.count)
        for i in 0..<n {
            for j in i..<n {
                guard let c = confusion(i, j) else { continue }
                org[i][j] = c.miou(over: schema.organelles); org[j][i] = org[i][j]
                all[i][j] = c.miou(over: allClasses); all[j][i] = all[i][j]
            }
        }
        return PairwiseComparison(names: names, miouOrg: org, miouAll: all)
    }

    /// The pairwise matrices from `confusions[i][j]` (i ≤ j, source i as truth), e.g. summed over slabs.
    public static func pairwise(names: [String], confusions: [[ConfusionMatrix?]], schema: LabelSchema) -> PairwiseComparison {
        pairwise(names: names, schema: schema) { i, j in confusions[i][j] }
    }

    /// Binary foreground test of a probability volume (the paper's CDeep3M comparison).
    ///
    /// - Parameters:
    ///   - probabilities: per-class probabilities (classes, z, y, x); channel 0 is background.
    ///   - truth: labels of the same (z, y, x) shape, binarized as `truth ≠ 0`.
    ///   - thresholds: values t; a voxel is predicted foreground when `1 − p0 ≥ t`.
    ///   - masks: only voxels where every mask is nonzero count.
    /// - Returns: For each t, in the order given, the MIoU over the two classes (background, foreground)
    ///   of the binarized truth against the thresholded prediction; nil when neither class is
    ///   defined (an empty volume). One pass: each voxel is binned by how many thresholds it
    ///   passes, and the counts for every t follow from cumulative sums.
    public static func binarySweep(probabilities: ProbabilitySource, truth: Volume<UInt8>,
                                   thresholds: [Double], masks: [Volume<UInt8>] = []) -> [(threshold: Double, miou: Double?)] {
        let matrices = binaryConfusions(probabilities: probabilities, truth: truth, thresholds: thresholds, masks: masks)
        return zip(thresholds, matrices).map { (threshold: $0, miou: $1.miou(over: [0, 1])) }
    }

    /// The 2×2 confusion matrices behind `binarySweep`, one per threshold in the order given
    /// (rows: truth ≠ 0, columns: 1 − p0 ≥ t). Only channel 0 (background) of `probabilities` is
    /// read: a source holding just that channel (`classes` = 1) is enough.
    public static func binaryConfusions(probabilities: ProbabilitySource, truth: Volume<UInt8>,
                                        thresholds: [Double], masks: [Volume<UInt8>] = []) -> [ConfusionMatrix] {
        precondition(probabilities.shape == truth.shape, "probabilities \(probabilities.shape) and truth \(truth.shape) differ in shape")
        let background = Volume(shape: truth.shape, data: Array(probabilities.data.prefix(truth.shape.count)))
        let counts = binarySweepCounts(background: background, truth: truth, thresholds: thresholds, masks: masks)
        return binaryConfusions(counts: counts, thresholds: thresholds)
    }

    /// The counts behind `binarySweep`, which add up across slabs.
    ///
    /// - Parameter background: p0, the background channel of the probabilities, of the truth's shape.
    /// - Returns: `counts[b * (T + 1) + k]` = voxels of binarized truth class b passing exactly the
    ///   k smallest of the T thresholds.
    public static func binarySweepCounts(background: Volume<Float>, truth: Volume<UInt8>, thresholds: [Double],
                                         masks: [Volume<UInt8>] = []) -> [Int] {
        precondition(background.shape == truth.shape, "probabilities \(background.shape) and truth \(truth.shape) differ in shape")
        for m in masks { precondition(m.shape == truth.shape, "mask \(m.shape) does not match labels \(truth.shape)") }
        let sorted = thresholds.sorted()
        let bins = sorted.count + 1
        let plane = truth.shape.planeCount
        let parts: [[Int]] = background.data.withUnsafeBufferPointer { pb in
            truth.data.withUnsafeBufferPointer { tb in
                sorted.withUnsafeBufferPointer { sb in
                    withPointers(masks) { maskPointers in
                        let p0 = pb.baseAddress!, t = tb.baseAddress!
                        return Parallel.map(slabsOf: 0..<truth.shape.z) { slab in
                            // counts[b * bins + k]: truth class b, passes the k smallest thresholds.
                            var counts = [Int](repeating: 0, count: 2 * bins)
                            counts.withUnsafeMutableBufferPointer { cb in
                                forEachBlock(slab.lowerBound * plane..<slab.upperBound * plane, masks: maskPointers) { range, keep in
                                    for i in range where keep == nil || keep![i - range.lowerBound] != 0 {
                                        let q = 1.0 - Double(p0[i])
                                        var lo = 0, hi = sb.count
                                        while lo < hi {   // number of thresholds ≤ q
                                            let mid = (lo + hi) >> 1
                                            if sb[mid] <= q { lo = mid + 1 } else { hi = mid }
                                        }
                                        cb[(t[i] != 0 ? bins : 0) + lo] &+= 1
                                    }
                                }
                            }
                            return counts
                        }
                    }
                }
            }
        }
        var counts = [Int](repeating: 0, count: 2 * bins)
        for part in parts { for i in 0..<counts.count { counts[i] += part[i] } }
        return counts
    }

    /// The 2×2 matrices from (summed) `binarySweepCounts`, one per threshold in the order given.
    public static func binaryConfusions(counts: [Int], thresholds: [Double]) -> [ConfusionMatrix] {
        let sorted = thresholds.sorted()
        let bins = sorted.count + 1
        var results: [Double: ConfusionMatrix] = [:]
        for (m, threshold) in sorted.enumerated() {
            // Predicted foreground at sorted threshold m ⇔ the voxel passed more than m thresholds.
            var c = ConfusionMatrix(classes: 2)
            for b in 0..<2 {
                for k in 0..<bins { c[b, k > m ? 1 : 0] += counts[b * bins + k] }
            }
            results[threshold] = c
        }
        return thresholds.map { results[$0]! }
    }

    /// The finishing step of `binarySweep` from its (summed) counts.
    public static func binarySweep(counts: [Int], thresholds: [Double]) -> [(threshold: Double, miou: Double?)] {
        zip(thresholds, binaryConfusions(counts: counts, thresholds: thresholds)).map { (threshold: $0, miou: $1.miou(over: [0, 1])) }
    }

    // MARK: - Helpers

    static func clampedZ(_ z: Range<Int>?, _ shape: Shape3) -> Range<Int> {
        guard let z else { return 0..<shape.z }
        return z.clamped(to: 0..<shape.z)
    }

    /// Gives `body` stable base pointers of every volume's storage.
    static func withPointers<R>(_ volumes: [Volume<UInt8>], _ body: ([UnsafePointer<UInt8>]) -> R) -> R {
        func nest(_ i: Int, _ acc: [UnsafePointer<UInt8>]) -> R {
            if i == volumes.count { return body(acc) }
            return volumes[i].data.withUnsafeBufferPointer { nest(i + 1, acc + [$0.baseAddress!]) }
        }
        return nest(0, [])
    }

    /// Walks `range` in blocks; with masks, `keep` holds 1 for block voxels inside every mask.
    static func forEachBlock(_ range: Range<Int>, masks: [UnsafePointer<UInt8>],
                             _ body: (Range<Int>, UnsafePointer<UInt8>?) -> Void) {
        if masks.isEmpty {
            if !range.isEmpty { body(range, nil) }
            return
        }
        let keep = UnsafeMutablePointer<UInt8>.allocate(capacity: block)
        defer { keep.deallocate() }
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + block, range.upperBound)
            let n = end - start
            let first = masks[0] + start
            for k in 0..<n { keep[k] = first[k] != 0 ? 1 : 0 }
            for m in masks.dropFirst() {
                let mp = m + start
                for k in 0..<n { keep[k] &= mp[k] != 0 ? 1 : 0 }
            }
            body(start..<end, UnsafePointer(keep))
            start = end
        }
    }
}
