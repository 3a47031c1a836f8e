import DenseCellCore
import Foundation

/// The volumes behind the view: the study, the ensemble results as they arrive, and caches of
/// what is expensive to recompute (display grays, metrics, disagreement rankings).
/// Used from the main thread only; jobs hand their results over through the session.
public final class ViewerData {
    let image: Volume<Float>
    let schema: LabelSchema
    private(set) var sources: [LabelSource]
    /// Bumped whenever a source changes, so cached metrics know they are stale.
    private(set) var revision = 0
    let displayRange: (lo: Float, hi: Float)
    static let ensembleName = "ensemble"
    /// The live consensus of the review loop: A with the decisions applied.
    static let consensusName = "consensus"
    /// Sources the viewer computes while it runs, whose pixels change under a pane.
    static let derivedSources: Set<String> = [ensembleName, consensusName]

    private var grayCache: [Int: [UInt8]] = [:]
    private var grayOrder: [Int] = []
    private var metricsCache: [MetricsKey: Any] = [:]

    init(study: Study) {
        image = study.image
        schema = study.schema
        sources = study.labels
        displayRange = Overlay.displayRange(study.image)
    }

    /// The image's shape, which every source shares.
    public var shape: Shape3 { image.shape }
    var organelles: Set<Int> { Set(schema.organelles) }

    func sourceIndex(_ name: String) -> Int? { sources.firstIndex { $0.name == name } }

    /// The image and the sources as they stand, for figure export and pane rasters.
    var study: Study { Study(image: image, labels: sources, schema: schema) }

    // MARK: Display

    /// The slice through the display window, 0…255; the last few slices are kept.
    func gray(z: Int) -> [UInt8] {
        if let g = grayCache[z] { return g }
        let n = shape.planeCount
        let lo = displayRange.lo, hi = displayRange.hi
        let g = [UInt8](unsafeUninitializedCapacity: n) { out, count in
            image.data.withUnsafeBufferPointer { src in
                let base = z * n
                for i in 0..<n { out[i] = Overlay.gray(src[base + i], lo: lo, hi: hi) }
            }
            count = n
        }
        grayCache[z] = g
        grayOrder.append(z)
        if grayOrder.count > 8 { grayCache[grayOrder.removeFirst()] = nil }
        return g
    }

    // MARK: Ensemble results

    /// Writes finished ensemble labels into the "ensemble" source (created on first use, with a
    /// mask so regions not yet computed count as unlabeled). Returns true when the source is new.
    @discardableResult
    func insertEnsemble(_ labels: Volume<UInt8>, at box: Box3) -> Bool {
        precondition(box.shape == labels.shape && Box3(shape: shape).contains(box))
        var created = false
        var index = sourceIndex(Self.ensembleName)
        if index == nil {
            sources.append(LabelSource(name: Self.ensembleName, role: .algorithm,
                                       labels: Volume(shape: shape, repeating: 0), mask: Volume(shape: shape, repeating: 0)))
            index = sources.count - 1
            created = true
        }
        let i = index!
        sources[i].labels.insert(labels, at: (box.z.lowerBound, box.y.lowerBound, box.x.lowerBound))
        sources[i].mask!.insert(Volume(shape: box.shape, repeating: 1), at: (box.z.lowerBound, box.y.lowerBound, box.x.lowerBound))
        revision += 1
        return created
    }

    /// Replaces the whole ensemble source (from the sidecar cache).
    func setEnsemble(labels: Volume<UInt8>, done: Volume<UInt8>) {
        let source = LabelSource(name: Self.ensembleName, role: .algorithm, labels: labels, mask: done)
        if let i = sourceIndex(Self.ensembleName) { sources[i] = source } else { sources.append(source) }
        revision += 1
    }

    /// Adds a source, or replaces the one of the same name (the live consensus).
    func setSource(_ source: LabelSource) {
        if let i = sourceIndex(source.name) { sources[i] = source } else { sources.append(source) }
        revision += 1
    }

    /// Changes a source's labels in place (no copy of the volume).
    func modifyLabels(of name: String, _ body: (inout Volume<UInt8>) -> Void) {
        guard let i = sourceIndex(name) else { return }
        body(&sources[i].labels)
        revision += 1
    }

    var ensemble: LabelSource? { sourceIndex(Self.ensembleName).map { sources[$0] } }

    /// Whether every voxel of `box` already has ensemble labels.
    func ensembleCovers(_ box: Box3) -> Bool {
        guard let mask = ensemble?.mask else { return false }
        for z in box.z { for y in box.y {
            let row = mask.index(z, y, 0)
            for x in box.x where mask.data[row + x] == 0 { return false }
        } }
        return true
    }

    // MARK: Metrics (cached per source revision)

    private struct MetricsKey: Hashable {
        var kind: Int, a: Int, b: Int, z: Int?, revision: Int
    }

    private func cached<T>(_ key: MetricsKey, _ compute: () -> T) -> T {
        if let v = metricsCache[key] as? T { return v }
        if metricsCache.count > 256 { metricsCache.removeAll() }
        let v = compute()
        metricsCache[key] = v
        return v
    }

    private func zRange(_ z: Int?) -> Range<Int>? { z.map { $0..<($0 + 1) } }

    /// Confusion matrix of sources a (rows) and b (columns), within both masks; z nil = volume.
    func confusion(_ a: Int, _ b: Int, z: Int?) -> ConfusionMatrix {
        cached(MetricsKey(kind: 0, a: a, b: b, z: z, revision: revision)) {
            let masks = [sources[a].mask, sources[b].mask].compactMap { $0 }
            return Metrics.confusion(truth: sources[a].labels, prediction: sources[b].labels, classes: schema.count,
                                     masks: masks, z: zRange(z))
        }
    }

    func pairwise(z: Int?) -> PairwiseComparison {
        cached(MetricsKey(kind: 1, a: 0, b: 0, z: z, revision: revision)) {
            Metrics.pairwise(sources, schema: schema, z: zRange(z))
        }
    }

    /// Organelle volume fractions of a source, within its own mask.
    func fractions(_ s: Int, z: Int?) -> [Double?] {
        cached(MetricsKey(kind: 2, a: s, b: 0, z: z, revision: revision)) {
            Metrics.volumeFractions(sources[s].labels, schema: schema, masks: [sources[s].mask].compactMap { $0 }, z: zRange(z))
        }
    }

    /// Disagreeing voxels per slice of a pair, within both masks.
    func ranking(_ pair: SourcePair) -> DisagreementRanking {
        let a = sources[pair.a], b = sources[pair.b]
        let n = shape.planeCount
        var counts = [Int](repeating: 0, count: shape.z)
        let masks = [a.mask, b.mask].compactMap { $0 }
        counts.withUnsafeMutableBufferPointer { out in
            a.labels.data.withUnsafeBufferPointer { la in
                b.labels.data.withUnsafeBufferPointer { lb in
                    let m0 = masks.count > 0 ? masks[0].data : nil, m1 = masks.count > 1 ? masks[1].data : nil
                    Parallel.forEach(shape.z) { z in
                        var count = 0
                        let base = z * n
                        if m0 == nil {
                            for i in base..<(base + n) where la[i] != lb[i] { count += 1 }
                        } else {
                            m0!.withUnsafeBufferPointer { p0 in
                                if let m1 {
                                    m1.withUnsafeBufferPointer { p1 in
                                        for i in base..<(base + n) where la[i] != lb[i] && p0[i] != 0 && p1[i] != 0 { count += 1 }
                                    }
                                } else {
                                    for i in base..<(base + n) where la[i] != lb[i] && p0[i] != 0 { count += 1 }
                                }
                            }
                        }
                        out[z] = count
                    }
                }
            }
        }
        return DisagreementRanking(pair: pair, revision: revision, counts: counts)
    }
}
