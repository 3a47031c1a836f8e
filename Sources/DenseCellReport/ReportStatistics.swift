import DenseCellCore
import DenseCellIO
import Foundation

/// What a report shows, decided from the study and the options before any voxel is read.
struct ReportPlan: Sendable {
    /// Sources of the pairwise matrices and the volume fractions, in display order.
    var sources: [String]
    /// Pairs (A, B) whose confusion matrix, IoU and slices are shown.
    var pairs: [[String]]
    /// The source the binary sweep is scored against (the first truth among the sources).
    var truth: String?
    /// Probability sources swept, each with the label source of the same name when there is one.
    var probabilities: [(name: String, labels: String?)]
    /// Slices of most disagreement shown per pair.
    var slices: Int
}

/// The numbers behind a report, counted in one streaming pass over the study.
struct ReportStatistics: Sendable {
    /// MIoU and per-class IoU of every pair of sources.
    var pairwise: PairwiseComparison
    /// Organelle volume fractions of each source within its own labeled region, indexed by class.
    var fractions: [String: [Double?]]
    /// Labeled voxels of each source (inside its mask).
    var labeledVoxels: [String: Int]
    /// Confusion matrix of each chosen pair (rows A, columns B), counted where both are labeled.
    var confusion: [ConfusionMatrix]
    /// Disagreeing voxels per slice of each chosen pair.
    var disagreement: [[Int]]
    /// Binary sweep of each probability source: (threshold, MIoU).
    var sweeps: [[(threshold: Double, miou: Double?)]]
    /// MIoU of each probability source's label source, binarized, against the binarized truth.
    var binarizedLabels: [Double?]
    /// Image intensities shown black and white in the slice figures.
    var grayWindow: (lo: Float, hi: Float)

    /// The thresholds of the paper's binary test.
    static let thresholds = (0...10).map { Double($0) / 10 }

    /// Slices of a pair ordered by disagreement, most first (ties by z), at most `count`.
    func worstSlices(pair: Int, count: Int) -> [Int] {
        let d = disagreement[pair]
        return Array(d.indices.filter { d[$0] > 0 }.sorted { d[$0] != d[$1] ? d[$0] > d[$1] : $0 < $1 }.prefix(count))
    }

    /// Counts everything in one slab pass over the study.
    /// - Parameters:
    ///   - study: the opened study.
    ///   - plan: what to count.
    ///   - slabBytes: bound on the bytes of one slab of every dataset read together.
    ///   - progress: called with (slices done, slices in total) after each slab.
    /// - Throws: `IOError` for unreadable data or labels outside the schema.
    static func count(_ study: OpenedStudy, plan: ReportPlan, slabBytes: Int = ReadBudget.slabBytes,
                      progress: (Int, Int) -> Void) throws(IOError) -> ReportStatistics {
        let schema = study.schema, shape = study.shape
        let classes = schema.count
        // Every ordered pair whose confusion matrix is needed, each counted once.
        var keys: [[String]] = []
        func need(_ a: String, _ b: String) { if !keys.contains([a, b]) { keys.append([a, b]) } }
        for i in plan.sources.indices { for j in i..<plan.sources.count { need(plan.sources[i], plan.sources[j]) } }
        if let truth = plan.truth { for p in plan.probabilities { if let l = p.labels { need(truth, l) } } }
        let perSlicePairs = plan.pairs
        var needed: [String] = []
        for name in plan.sources + plan.pairs.joined() + keys.joined() where !needed.contains(name) { needed.append(name) }
        if let truth = plan.truth, !plan.probabilities.isEmpty, !needed.contains(truth) { needed.append(truth) }
        var sources = [String: StudyLabels]()
        for name in needed { sources[name] = try study.source(name) }
        let probabilities = try plan.probabilities.map { (p: (name: String, labels: String?)) throws(IOError) in try study.probabilities(p.name) }
        guard let image = study.image else { preconditionFailure("a report's study has an image") }

        var confusion = [[String]: ConfusionMatrix]()
        for k in keys + perSlicePairs { confusion[k] = ConfusionMatrix(classes: classes) }
        var disagreement = [[Int]](repeating: [Int](repeating: 0, count: shape.z), count: perSlicePairs.count)
        var histograms = [String: [Int]]()
        for s in plan.sources { histograms[s] = [Int](repeating: 0, count: 256) }
        var sweepCounts = [[ConfusionMatrix]](repeating: thresholds.map { _ in ConfusionMatrix(classes: 2) },
                                              count: plan.probabilities.count)
        // The image is sampled in its stored type: converting whole slabs to float would cost more than the read.
        var window = Overlay.WindowSampler(count: shape.count)

        let labelInputs = needed.map { (sources[$0]!.labels, SlabPass.Reading.labels) }
        let maskInputs = needed.flatMap { sources[$0]!.masks }.map { ($0, SlabPass.Reading.mask) }
        let pass = try SlabPass(labelInputs + maskInputs + [(image, .stored)], mapping: study.labelMapping,
                                extraBytesPerVoxel: 4 * probabilities.count, slabBytes: slabBytes)
        progress(0, shape.z)
        try pass.run(progress: progress) { slab throws(IOError) in
            let z = slab.z
            func labels(_ name: String) -> Volume<UInt8> { slab.labels(sources[name]!.labels) }
            func masks(_ names: String...) -> [Volume<UInt8>] { slab.masks(names.flatMap { sources[$0]!.masks }) }
            for (p, pair) in perSlicePairs.enumerated() {
                let slices = Metrics.confusionPerSlice(truth: labels(pair[0]), prediction: labels(pair[1]),
                                                       classes: classes, masks: masks(pair[0], pair[1]))
                for (i, c) in slices.enumerated() {
                    confusion[pair] = confusion[pair]! + c
                    disagreement[p][z.lowerBound + i] = c.total - (0..<classes).reduce(0) { $0 + c[$1, $1] }
                }
            }
            for key in keys where !perSlicePairs.contains(key) {
                confusion[key] = confusion[key]! + Metrics.confusion(truth: labels(key[0]), prediction: labels(key[1]),
                                                                     classes: classes, masks: masks(key[0], key[1]))
            }
            for name in plan.sources {
                let h = Metrics.histogram(labels(name), masks: masks(name))
                for l in 0..<256 { histograms[name]![l] += h[l] }
            }
            if let truth = plan.truth {
                for (k, p) in plan.probabilities.enumerated() {
                    let channel = try probabilities[k].channel(0, z: z)
                    let background = ProbabilitySource(name: p.name, classes: 1, shape: channel.shape, data: channel.data)
                    let m = masks(truth) + (p.labels.map { masks($0) } ?? [])
                    let c = Metrics.binaryConfusions(probabilities: background, truth: labels(truth), thresholds: thresholds, masks: m)
                    for i in c.indices { sweepCounts[k][i] = sweepCounts[k][i] + c[i] }
                }
            }
            window.add(slab.stored(image), first: z.lowerBound * shape.planeCount)
        }

        let pairwise = Metrics.pairwise(names: plan.sources, schema: schema) { i, j in confusion[[plan.sources[i], plan.sources[j]]]! }
        var fractions = [String: [Double?]](), labeled = [String: Int]()
        for name in plan.sources {
            fractions[name] = Metrics.volumeFractions(histogram: histograms[name]!, schema: schema)
            labeled[name] = histograms[name]!.reduce(0, +)
        }
        let sweeps = sweepCounts.map { matrices in zip(thresholds, matrices).map { (threshold: $0, miou: $1.miou(over: [0, 1])) } }
        let binarized: [Double?] = plan.probabilities.map { p in
            guard let truth = plan.truth, let l = p.labels else { return nil }
            return confusion[[truth, l]]!.binarized().miou(over: [0, 1])
        }
        return ReportStatistics(pairwise: pairwise, fractions: fractions, labeledVoxels: labeled,
                                confusion: perSlicePairs.map { confusion[$0]! }, disagreement: disagreement,
                                sweeps: sweeps, binarizedLabels: binarized, grayWindow: window.range)
    }
}
