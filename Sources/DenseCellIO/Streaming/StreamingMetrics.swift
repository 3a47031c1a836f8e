import DenseCellCore
import Foundation

/// The metrics commands' passes over opened volumes, slab by slab in bounded memory: every source
/// is read once, a z-slab at a time, and the additive counts of `Metrics` (confusion matrices,
/// label histograms, binary-sweep bins) are summed across slabs before the finishing steps turn
/// them into IoU, MIoU and volume fractions (see docs/ARCHITECTURE.md, "Performance").
public enum StreamingMetrics {
    /// What `evaluate` reports.
    public struct Evaluation {
        /// Voxels counted per (truth class, predicted class), where both are labeled.
        public var confusion: ConfusionMatrix
        /// Volume fractions of the truth and the prediction, indexed by class.
        public var fractions: [[Double?]]
        /// MIoU of the binary test per threshold, when probabilities were given.
        public var sweep: [(threshold: Double, miou: Double?)]?
    }

    /// What `compare` reports.
    public struct Comparison {
        /// MIoU and per-class IoU of every pair of the compared sources.
        public var pairwise: PairwiseComparison
        /// Volume fractions of each source, in order, indexed by class.
        public var fractions: [[Double?]]
        /// The confusion matrix of the pair asked for (rows the first source).
        public var pairConfusion: ConfusionMatrix?
    }

    /// Scores `prediction` against `truth` on the voxels inside every mask (both sources' own and
    /// `masks`); volume fractions within `cellMask` too.
    ///
    /// - Parameters:
    ///   - probabilities: a (classes, z, y, x) dataset whose channel 0 is background, for the binary test.
    ///   - thresholds: the binary test's thresholds.
    ///   - slabBytes: what the slabs of all sources read together may hold (at least one plane is read).
    ///   - progress: called after each slab with the slices done so far and the total.
    /// - Throws: `IOError` from reading (labels outside the schema, a corrupt file) or
    ///   `IOError(.tooLarge)` when one plane of every source does not fit the read budget.
    public static func evaluate(truth: StudyLabels, prediction: StudyLabels, masks: [VolumeSource] = [],
                                cellMask: VolumeSource? = nil, probabilities: HDF5Dataset? = nil,
                                thresholds: [Double] = [], schema: LabelSchema, slabBytes: Int = ReadBudget.slabBytes,
                                progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> Evaluation {
        let regionMasks = truth.masks + prediction.masks + masks
        let cell = [cellMask].compactMap { $0 }
        let pass = try SlabPass([(truth.labels, .labels), (prediction.labels, .labels)] + (regionMasks + cell).map { ($0, .mask) },
                                mapping: schema.mapping, extraBytesPerVoxel: probabilities == nil ? 0 : 4, slabBytes: slabBytes,
                                sparse: probabilities == nil)
        var confusion = ConfusionMatrix(classes: schema.count)
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 2)
        var sweepCounts = [Int](repeating: 0, count: 2 * (thresholds.count + 1))
        let shape = truth.labels.shape
        try pass.run(progress: progress ?? { _, _ in }) { slab throws(IOError) in
            if slab.isUniform {
                // Nothing written here: every voxel holds the fill values, counted without reading them.
                let n = slab.box.shape.count
                let t = try uniformClass(slab, truth.labels, schema), p = try uniformClass(slab, prediction.labels, schema)
                if inside(slab, regionMasks) {
                    confusion[t, p] += n
                    if inside(slab, cell) { histograms[0][t] += n; histograms[1][p] += n }
                }
                return
            }
            let z = slab.z
            let t = slab.labels(truth.labels), p = slab.labels(prediction.labels)
            let region = slab.masks(regionMasks)
            let fractionRegion = region + slab.masks(cell)
            confusion = confusion + Metrics.confusion(truth: t, prediction: p, classes: schema.count, masks: region)
            for (k, labels) in [t, p].enumerated() {
                let h = Metrics.histogram(labels, masks: fractionRegion)
                for i in 0..<256 { histograms[k][i] += h[i] }
            }
            if let probabilities {
                let d = probabilities.info.dims
                let p0 = try probabilities.read(start: [0, z.lowerBound, 0, 0], count: [1, z.count, d[2], d[3]], as: .float32, of: Float.self)
                let counts = Metrics.binarySweepCounts(background: Volume(shape: Shape3(z.count, shape.y, shape.x), data: p0),
                                                       truth: t, thresholds: thresholds, masks: region)
                for i in 0..<counts.count { sweepCounts[i] += counts[i] }
            }
        }
        return Evaluation(confusion: confusion,
                          fractions: histograms.map { Metrics.volumeFractions(histogram: $0, schema: schema) },
                          sweep: probabilities == nil ? nil : Metrics.binarySweep(counts: sweepCounts, thresholds: thresholds))
    }

    /// Pairwise MIoU(org) and MIoU(all) of `sources`, each pair on the voxels inside both sources'
    /// masks and `masks`, and each source's volume fractions (within `cellMask` too).
    ///
    /// - Parameters:
    ///   - pair: a pair whose confusion matrix is wanted (rows the first), from `sources` or not.
    ///   - progress: called after each slab with the slices done so far and the total.
    /// - Throws: as `evaluate`.
    public static func compare(_ sources: [StudyLabels], pair: (StudyLabels, StudyLabels)? = nil, masks: [VolumeSource] = [],
                               cellMask: VolumeSource? = nil, schema: LabelSchema, slabBytes: Int = ReadBudget.slabBytes,
                               progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> Comparison {
        let n = sources.count
        let all = sources + (pair.map { [$0.0, $0.1] } ?? [])
        let cell = [cellMask].compactMap { $0 }
        let pass = try SlabPass(all.map { ($0.labels, .labels) } + (all.flatMap(\.masks) + masks + cell).map { ($0, .mask) },
                                mapping: schema.mapping, slabBytes: slabBytes, sparse: true)
        var confusions = [[ConfusionMatrix?]](repeating: [ConfusionMatrix?](repeating: nil, count: n), count: n)
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: n)
        var pairConfusion = pair.map { _ in ConfusionMatrix(classes: schema.count) }
        try pass.run(progress: progress ?? { _, _ in }) { slab throws(IOError) in
            if slab.isUniform {
                // Nothing written here: every voxel holds the fill values, counted without reading them.
                let voxels = slab.box.shape.count
                let classes = try sources.map { (s: StudyLabels) throws(IOError) in try uniformClass(slab, s.labels, schema) }
                let own = sources.map { inside(slab, $0.masks + masks) }
                for i in 0..<n where own[i] {
                    for j in i..<n where own[j] {
                        var c = confusions[i][j] ?? ConfusionMatrix(classes: schema.count)
                        c[classes[i], classes[j]] += voxels
                        confusions[i][j] = c
                    }
                    if inside(slab, cell) { histograms[i][classes[i]] += voxels }
                }
                if let (a, b) = pair, inside(slab, a.masks + b.masks + masks) {
                    pairConfusion![try uniformClass(slab, a.labels, schema), try uniformClass(slab, b.labels, schema)] += voxels
                }
                return
            }
            let labels = sources.map { slab.labels($0.labels) }
            let own = sources.map { slab.masks($0.masks + masks) }
            let cellSlab = slab.masks(cell)
            for i in 0..<n {
                for j in i..<n {
                    let c = Metrics.confusion(truth: labels[i], prediction: labels[j], classes: schema.count, masks: own[i] + own[j])
                    confusions[i][j] = confusions[i][j].map { $0 + c } ?? c
                }
                let h = Metrics.histogram(labels[i], masks: own[i] + cellSlab)
                for k in 0..<256 { histograms[i][k] += h[k] }
            }
            if let (a, b) = pair {
                pairConfusion = pairConfusion! + Metrics.confusion(truth: slab.labels(a.labels), prediction: slab.labels(b.labels),
                                                                   classes: schema.count, masks: slab.masks(a.masks + b.masks + masks))
            }
        }
        return Comparison(pairwise: Metrics.pairwise(names: sources.map(\.name), confusions: confusions, schema: schema),
                          fractions: histograms.map { Metrics.volumeFractions(histogram: $0, schema: schema) },
                          pairConfusion: pairConfusion)
    }

    /// The class every voxel of a uniform slab holds in `source` (its fill value).
    ///
    /// - Throws: `IOError(.badLabels)` when that value is not a class of the schema.
    static func uniformClass(_ slab: SlabPass.Slab, _ source: VolumeSource, _ schema: LabelSchema) throws(IOError) -> Int {
        let value = slab.uniformValue(source)!
        guard value.rounded() == value, let stored = Int64(exactly: value),
              let label = source.labelMapping(schema.mapping).classOf(stored) else {
            throw IOError(.badLabels, file: source.reference.path, dataset: source.reference.dataset,
                          "label value \(value) (the fill value of chunks never written) is outside the schema")
        }
        return label
    }

    /// Whether a uniform slab lies inside every mask (each mask's fill value is nonzero).
    static func inside(_ slab: SlabPass.Slab, _ masks: [VolumeSource]) -> Bool {
        masks.allSatisfy { (slab.uniformValue($0) ?? 0) != 0 }
    }
}
