import DenseCellCore
import Foundation

/// A label source opened for a streaming metrics pass: its labels and the masks of its own
/// labeled region (nonzero = labeled).
public struct LabelStream {
    /// The name reports use.
    public var name: String
    /// The labels, checked against the schema as they are read.
    public var labels: VolumeSource
    /// Masks restricting this source (its own `mask` attribute; more may be added).
    public var masks: [VolumeSource]

    /// A stream of `labels` named `name`, restricted to `masks` (nonzero = labeled).
    public init(name: String, labels: VolumeSource, masks: [VolumeSource] = []) {
        self.name = name; self.labels = labels; self.masks = masks
    }

    /// Opens a label reference with the mask its HDF5 dataset names in a `mask` attribute.
    ///
    /// - Throws: `IOError` when either cannot be opened, or the mask's shape differs from the labels'.
    public static func open(_ ref: VolumeReference) throws(IOError) -> LabelStream {
        let labels = try VolumeReader.open(ref)
        var masks: [VolumeSource] = []
        if case .hdf5 = ref.kind, let dataset = ref.dataset {
            let file = try HDF5File(path: ref.path)
            if let maskName = file.attribute(dataset, "mask")?.stringValue {
                let mask = try VolumeReader.open(file, maskName)
                guard mask.shape == labels.shape else {
                    throw IOError(.badShape, file: ref.path, dataset: HDF5File.normalize(maskName),
                                  "shape \(mask.shape) does not match its labels \(ref) (\(labels.shape))")
                }
                masks.append(mask)
            }
        }
        return LabelStream(name: ref.description, labels: labels, masks: masks)
    }

    /// A study's label source, opened through its reader.
    public init(_ reader: StudyLabelReader) {
        self.init(name: reader.name, labels: reader.labelSource, masks: [reader.maskSource].compactMap { $0 })
    }
}

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
    public static func evaluate(truth: LabelStream, prediction: LabelStream, masks: [VolumeSource] = [],
                                cellMask: VolumeSource? = nil, probabilities: HDF5Dataset? = nil,
                                thresholds: [Double] = [], schema: LabelSchema, slabBytes: Int = ReadBudget.slabBytes,
                                progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> Evaluation {
        let regionMasks = truth.masks + prediction.masks + masks
        let reader = SlabReader(labels: [truth.labels, prediction.labels], masks: regionMasks + [cellMask].compactMap { $0 },
                                extraBytesPerVoxel: probabilities == nil ? 0 : 4, classCount: schema.count, slabBytes: slabBytes)
        var confusion = ConfusionMatrix(classes: schema.count)
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 2)
        var sweepCounts = [Int](repeating: 0, count: 2 * (thresholds.count + 1))
        let shape = truth.labels.shape
        try reader.forEachSlab(progress: progress) { (z: Range<Int>, slab: SlabReader.Slab) throws(IOError) in
            let t = slab.labels(truth.labels), p = slab.labels(prediction.labels)
            let region = regionMasks.map(slab.mask)
            let fractionRegion = region + [cellMask].compactMap { $0 }.map(slab.mask)
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
    public static func compare(_ sources: [LabelStream], pair: (LabelStream, LabelStream)? = nil, masks: [VolumeSource] = [],
                               cellMask: VolumeSource? = nil, schema: LabelSchema, slabBytes: Int = ReadBudget.slabBytes,
                               progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> Comparison {
        let n = sources.count
        let pairList = pair.map { [$0.0, $0.1] } ?? []
        let reader = SlabReader(labels: (sources + pairList).map(\.labels),
                                masks: (sources + pairList).flatMap(\.masks) + masks + [cellMask].compactMap { $0 },
                                extraBytesPerVoxel: 0, classCount: schema.count, slabBytes: slabBytes)
        var confusions = [[ConfusionMatrix?]](repeating: [ConfusionMatrix?](repeating: nil, count: n), count: n)
        var histograms = [[Int]](repeating: [Int](repeating: 0, count: 256), count: n)
        var pairConfusion = pair.map { _ in ConfusionMatrix(classes: schema.count) }
        try reader.forEachSlab(progress: progress) { (_: Range<Int>, slab: SlabReader.Slab) throws(IOError) in
            let labels = sources.map { slab.labels($0.labels) }
            let own = sources.map { $0.masks.map(slab.mask) + masks.map(slab.mask) }
            let cell = [cellMask].compactMap { $0 }.map(slab.mask)
            for i in 0..<n {
                for j in i..<n {
                    let c = Metrics.confusion(truth: labels[i], prediction: labels[j], classes: schema.count, masks: own[i] + own[j])
                    confusions[i][j] = confusions[i][j].map { $0 + c } ?? c
                }
                let h = Metrics.histogram(labels[i], masks: own[i] + cell)
                for k in 0..<256 { histograms[i][k] += h[k] }
            }
            if let (a, b) = pair {
                let region = (a.masks + b.masks + masks).map(slab.mask)
                pairConfusion = pairConfusion! + Metrics.confusion(truth: slab.labels(a.labels), prediction: slab.labels(b.labels),
                                                                   classes: schema.count, masks: region)
            }
        }
        return Comparison(pairwise: Metrics.pairwise(names: sources.map(\.name), confusions: confusions, schema: schema),
                          fractions: histograms.map { Metrics.volumeFractions(histogram: $0, schema: schema) },
                          pairConfusion: pairConfusion)
    }
}

/// Reads a set of label volumes and masks of one shape together, z-slab by z-slab, each distinct
/// source once per slab: sources are told apart by their reference, so a mask shared by several
/// label sources is read once.
struct SlabReader {
    /// One slab of every source.
    struct Slab {
        var labelSlabs: [VolumeReference: Volume<UInt8>]
        var maskSlabs: [VolumeReference: Volume<UInt8>]
        func labels(_ s: VolumeSource) -> Volume<UInt8> { labelSlabs[s.reference]! }
        func mask(_ s: VolumeSource) -> Volume<UInt8> { maskSlabs[s.reference]! }
    }
    let labels: [VolumeSource]
    let masks: [VolumeSource]
    let extraBytesPerVoxel: Int
    let classCount: Int
    let slabBytes: Int

    init(labels: [VolumeSource], masks: [VolumeSource], extraBytesPerVoxel: Int, classCount: Int, slabBytes: Int) {
        func distinct(_ list: [VolumeSource]) -> [VolumeSource] {
            var seen = Set<VolumeReference>()
            return list.filter { seen.insert($0.reference).inserted }
        }
        self.labels = distinct(labels); self.masks = distinct(masks)
        self.extraBytesPerVoxel = extraBytesPerVoxel; self.classCount = classCount; self.slabBytes = slabBytes
    }

    /// Calls `body` with consecutive slabs in z order. The next slab is read on another thread
    /// while `body` counts the current one (reading is mostly decompression, counting runs on every
    /// core), so a pass holds two slabs at most.
    func forEachSlab(progress: ((Int, Int) -> Void)?, _ body: (Range<Int>, Slab) throws(IOError) -> Void) throws(IOError) {
        guard let first = labels.first else { return }
        let all = labels + masks
        // What a slab holds per voxel of each source: the read type and the uint8 labels or mask made of it.
        var bytes = all.map { $0.readBytesPerVoxel + 1 }
        bytes[0] += extraBytesPerVoxel
        let depth = try ReadBudget.slabDepth(all, bytesPerVoxel: bytes, slabBytes: slabBytes)
        let total = first.shape.z
        let ranges = stride(from: 0, to: total, by: depth).map { $0..<min(total, $0 + depth) }
        let reader = self
        final class Pending: @unchecked Sendable { var result: Result<Slab, IOError>? }
        func start(_ range: Range<Int>) -> (DispatchGroup, Pending) {
            let group = DispatchGroup(), pending = Pending()
            group.enter()
            DispatchQueue.global(qos: .userInitiated).async {
                pending.result = Result { () throws(IOError) -> Slab in try reader.read(first.slab(range)) }
                group.leave()
            }
            return (group, pending)
        }
        var next = ranges.first.map(start)
        // A failure in `body` must not return while a read is still using the sources.
        defer { next?.0.wait() }
        for (k, range) in ranges.enumerated() {
            guard let (group, pending) = next else { break }
            group.wait()
            next = k + 1 < ranges.count ? start(ranges[k + 1]) : nil
            try body(range, try pending.result!.get())
            progress?(range.upperBound, total)
        }
    }

    /// Every source's voxels of `box`: labels checked against the schema, masks as 0/1.
    func read(_ box: Box3) throws(IOError) -> Slab {
        var slab = Slab(labelSlabs: [:], maskSlabs: [:])
        for s in labels { slab.labelSlabs[s.reference] = try s.readLabels(box, classCount: classCount) }
        for s in masks { slab.maskSlabs[s.reference] = try s.readMask(box) }
        return slab
    }
}
