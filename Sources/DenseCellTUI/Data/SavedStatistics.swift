import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

/// The background pass's counts with the window and normalization, as kept in the viewer cache
/// (`/statistics`, JSON) under a key naming the image, every source and the schema, so a second
/// visit opens with its metrics counted.
struct SavedStatistics: Codable {
    var window: [Float]
    var normalization: [Float]
    var pairs: [BackgroundPass.PairNames]
    /// [z][pair] → counts.
    var confusions: [[[Int]]]
    var names: [String]
    /// [z][source] → histogram.
    var histograms: [[[Int]]]

    static let blob = "/statistics"

    /// The key naming what the counts derive from, or nil when a volume is in memory (nothing kept).
    static func key(image: VolumeSource, sources: [(name: String, labels: VolumeSource, mask: VolumeSource?)], mapping: LabelMapping) -> String? {
        guard !image.isInMemory, sources.allSatisfy({ !$0.labels.isInMemory && !($0.mask?.isInMemory ?? false) }) else { return nil }
        return ([ViewerCacheFile.identity(of: image), mapping.description]
            + sources.map { "\($0.name)=\(ViewerCacheFile.identity(of: $0.labels)) \($0.mask.map(ViewerCacheFile.identity(of:)) ?? "")" })
            .joined(separator: "\n")
    }

    /// The counts kept under `key`, if they fit a study of `shape` with `classes` classes.
    static func load(_ file: ViewerCacheFile, key: String, shape: Shape3, classes: Int) -> SavedStatistics? {
        guard let bytes = file.blob(blob, key: key),
              let saved = try? JSONDecoder().decode(SavedStatistics.self, from: Data(bytes)),
              saved.confusions.count == shape.z, saved.histograms.count == shape.z, saved.window.count == 2,
              saved.normalization.count == 2 else { return nil }
        return saved
    }

    init(window: (lo: Float, hi: Float), normalization: InputNormalization, names: [String],
         counts: (confusions: [[BackgroundPass.PairNames: ConfusionMatrix]], histograms: [[String: [Int]]])) {
        var pairs: [BackgroundPass.PairNames] = []
        for (i, a) in names.enumerated() { for b in names[(i + 1)...] { pairs.append(.init(a: a, b: b)) } }
        self.window = [window.lo, window.hi]
        self.normalization = [normalization.mean, normalization.std]
        self.pairs = pairs
        confusions = counts.confusions.map { d in pairs.map { d[$0]?.counts ?? [] } }
        self.names = names
        histograms = counts.histograms.map { d in names.map { d[$0] ?? [] } }
    }

    func save(_ file: ViewerCacheFile, key: String) throws(IOError) {
        let json: Data
        do { json = try JSONEncoder().encode(self) } catch { throw IOError(.writeFailed, file: file.path, "\(error)") }
        try file.setBlob(Self.blob, key: key, [UInt8](json))
    }

    /// The counts per slice, as the pass holds them.
    func counts(classes: Int) -> (confusions: [[BackgroundPass.PairNames: ConfusionMatrix]], histograms: [[String: [Int]]]) {
        let c = confusions.map { perZ in
            var d: [BackgroundPass.PairNames: ConfusionMatrix] = [:]
            for (k, counts) in zip(pairs, perZ) where counts.count == classes * classes {
                var m = ConfusionMatrix(classes: classes); m.counts = counts; d[k] = m
            }
            return d
        }
        return (c, histograms.map { perZ in Dictionary(uniqueKeysWithValues: zip(names, perZ)) })
    }
}
