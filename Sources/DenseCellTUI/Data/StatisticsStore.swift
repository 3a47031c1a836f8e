import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

/// The study's statistics: the background pass's per-slice counts and what is summed from them
/// (confusion matrices, pairwise MIoU, volume fractions, the disagreement ranking), the gray
/// window and the image's normalization the first pass samples, and their keeping in the viewer
/// cache. Queries answer from what is counted so far: nil while a slice needed is not.
final class StatisticsStore {
    let pass: BackgroundPass
    private let sources: SourceTable
    private let schema: LabelSchema
    private let shape: Shape3
    private let file: ViewerCacheFile
    private let pyramid: PyramidStore
    private let volumes: VolumeTable
    /// The key the counts are kept under (nil for studies in memory).
    private let key: String?
    private let samples: FirstPassSamples
    /// Whether the counts, window and normalization are final (restored, or saved once counted).
    private var settled: Bool
    /// The gray window: estimated from a few slices at first, then the whole image's.
    private(set) var window: GrayWindow
    /// The image's mean and deviation for the ensemble, once the first pass has seen every slice.
    private(set) var normalization: InputNormalization?
    private let noticed: @Sendable (String) -> Void

    /// Restores the counts kept for this study or starts counting them; the first time through
    /// the pass also samples the window and normalization and writes the pyramid.
    /// - Parameters:
    ///   - window: the window to show until the whole image is seen.
    ///   - inline: every volume is in memory: count at once on the calling thread.
    ///   - waitForScreen: returns once the planes the screen waits for are read.
    init(image: VolumeSource, sources: SourceTable, volumes: VolumeTable, schema: LabelSchema, mapping: LabelMapping, file: ViewerCacheFile,
         pyramid: PyramidStore, key: String?, window: GrayWindow, inline: Bool,
         waitForScreen: @escaping @Sendable () -> Void, changed: @escaping @Sendable () -> Void,
         noticed: @escaping @Sendable (String) -> Void) {
        self.sources = sources
        self.volumes = volumes
        self.schema = schema
        shape = image.shape
        self.file = file
        self.pyramid = pyramid
        self.key = key
        self.noticed = noticed
        self.window = window
        let samples = FirstPassSamples(shape: image.shape)
        self.samples = samples
        let saved = key.flatMap { SavedStatistics.load(file, key: $0, shape: image.shape, classes: schema.count) }
        settled = saved != nil
        if let saved {
            self.window = GrayWindow(lo: saved.window[0], hi: saved.window[1], exact: true)
            normalization = InputNormalization(mean: saved.normalization[0], std: saved.normalization[1])
        }
        if let problem = pyramid.prepare(volumes.all, complete: saved != nil, name: { v in sources.list.first { $0.labels == v || $0.mask == v }?.name }) {
            noticed(problem)
        }
        let firstPass: BackgroundPass.SlabHook = { z, image, labels, masks in
            guard let image else { return }
            samples.add(image, z: z)
            if let problem = pyramid.write(slab: z, image: image, labels: labels, masks: masks) { noticed(problem) }
        }
        // A study whose every volume is a store chunked alike that keeps its own pyramid is counted
        // tile by tile, so chunks never written are not read (a sparse gigavoxel-to-teravoxel store).
        let tiles = volumes.all.map { $0.entry.reader.chunkTile }
        var tile: (y: Int, x: Int)? = nil
        if let first = tiles.first ?? nil, tiles.allSatisfy({ $0.map { $0 == first } ?? false }),
           volumes.all.allSatisfy({ $0.entry.pyramid == nil }) {
            tile = SlabPass.tile(chunkTile: first, shape: image.shape)
        }
        let firstPassTile: BackgroundPass.TileHook = { box, image, fill in samples.add(tile: box, image: image, fill: fill) }
        pass = BackgroundPass(image: image, mapping: mapping, imageSeen: saved != nil, inline: inline,
                              hook: saved == nil ? firstPass : nil, tile: tile, tileHook: saved == nil ? firstPassTile : nil,
                              waitForScreen: waitForScreen, changed: changed, failed: noticed)
        if let saved {
            let counts = saved.counts(classes: schema.count)
            pass.restore(confusions: counts.confusions, histograms: counts.histograms)
        }
    }

    /// On the key thread after the pass reported: once the first pass has seen every slice, takes
    /// the whole image's window and normalization and keeps the counts in the cache file.
    /// Returns whether the window changed (gray planes are then made again).
    func passReported() -> Bool {
        guard !settled, pass.progress.done == shape.z || pass.isIdle else { return false }
        guard let counts = pass.cacheableCounts() else { return false }
        settled = true
        let seen = samples.finish()
        let changed = !window.exact && (seen.window.lo != window.lo || seen.window.hi != window.hi)
        if !window.exact { window = GrayWindow(lo: seen.window.lo, hi: seen.window.hi, exact: true) }
        if normalization == nil { normalization = seen.normalization }
        guard let key else { return changed }
        let saved = SavedStatistics(window: (window.lo, window.hi), normalization: seen.normalization,
                                    names: sources.list.filter { !$0.derived }.map(\.name), counts: counts)
        do {
            try saved.save(file, key: key)
            try pyramid.markComplete(volumes)
            file.flush()
        } catch {
            noticed("volume statistics not cached: \(error)")
        }
        return changed
    }

    // MARK: Metrics (sums of the pass's counts; nil while not counted)

    /// Confusion matrix of sources a (rows) and b (columns), within both masks; z nil = volume.
    func confusion(_ a: Int, _ b: Int, z: Int?) -> ConfusionMatrix? {
        pass.confusion(sources[a].name, sources[b].name, z: z)
    }

    /// MIoU(org) and MIoU(all) of every pair; nil until all are counted.
    func pairwise(z: Int?) -> PairwiseComparison? {
        let n = sources.count
        var matrices = [[ConfusionMatrix?]](repeating: [ConfusionMatrix?](repeating: nil, count: n), count: n)
        for i in 0..<n {
            for j in i..<n {
                guard let m = confusion(i, j, z: z) ?? (i == j ? selfConfusion(i, z: z) : nil) else { return nil }
                matrices[i][j] = m
            }
        }
        return Metrics.pairwise(names: sources.list.map(\.name), confusions: matrices, schema: schema)
    }

    /// A source against itself: its histogram on the diagonal.
    private func selfConfusion(_ s: Int, z: Int?) -> ConfusionMatrix? {
        guard let h = pass.histogram(sources[s].name, z: z) else { return nil }
        var m = ConfusionMatrix(classes: schema.count)
        for c in 0..<schema.count { m[c, c] = h[c] }
        return m
    }

    /// Organelle volume fractions of a source, within its own mask.
    func fractions(_ s: Int, z: Int?) -> [Double?]? {
        pass.histogram(sources[s].name, z: z).map { Metrics.volumeFractions(histogram: $0, schema: schema) }
    }

    /// Disagreeing voxels per slice of a pair, within both masks (slices not yet counted as 0),
    /// and whether every slice is counted.
    func ranking(_ pair: SourcePair) -> (DisagreementRanking, complete: Bool) {
        let counts = pass.disagreements(sources[pair.a].name, sources[pair.b].name)
        return (DisagreementRanking(pair: pair, revision: sources.revision, counts: counts.map { $0 ?? 0 }), !counts.contains(nil))
    }

    /// The pass's progress for the footer: nil once everything is counted.
    var passProgress: (done: Int, total: Int)? {
        if pass.failure != nil { return nil }
        let p = pass.progress
        return p.done == p.total ? nil : p
    }

    /// Whether the pass has nothing left (tests wait for this); a pass stopped by a failure has not.
    var passIdle: Bool { pass.isIdle || pass.failure != nil }

    /// Why the volume could not be counted, when a source could not be read.
    var passFailure: String? { pass.failure }
}
