import DenseCellCore
import DenseCellIO
import Foundation

/// Ensemble labels in the viewer cache file, written tile by tile by the inference job as they
/// become final and read back plane by plane like any source: `/ensemble/labels`, `/ensemble/done`
/// (1 where computed) and the list of finished boxes, all under the models' cache key, so results
/// are reused only for the same models, precision, overlap and window.
final class EnsembleStore: @unchecked Sendable {
    static let labelsDataset = "/ensemble/labels"
    static let doneDataset = "/ensemble/done"
    static let tilesBlob = "/ensemble/tiles"
    let file: ViewerCacheFile
    let shape: Shape3
    let key: String
    private let lock = NSLock()
    private let writing = NSLock()
    private var boxes: [Box3] = []
    private var opened: (labels: VolumeSource, done: VolumeSource)?

    private struct SavedBox: Codable { var z: [Int], y: [Int], x: [Int] }

    /// Opens the results kept for `key` (none for other models or another image).
    init(file: ViewerCacheFile, shape: Shape3, key: String) throws(IOError) {
        self.file = file
        self.shape = shape
        self.key = key
        if file.key("/ensemble") == key, file.file.isDataset(Self.labelsDataset), file.file.isDataset(Self.doneDataset),
           let bytes = file.blob(Self.tilesBlob, key: key),
           let saved = try? JSONDecoder().decode([SavedBox].self, from: Data(bytes)),
           let labels = try? file.volume(Self.labelsDataset), let done = try? file.volume(Self.doneDataset),
           labels.shape == shape, done.shape == shape {
            boxes = saved.map { Box3(z: $0.z[0]..<$0.z[1], y: $0.y[0]..<$0.y[1], x: $0.x[0]..<$0.x[1]) }
            opened = (labels, done)
        }
        // Results of other models are left alone until results of these are written.
    }

    /// Whether any results are stored.
    var exists: Bool { lock.lock(); defer { lock.unlock() }; return opened != nil }

    /// Readers of the labels and of where they are computed.
    var readers: (labels: VolumeSource, done: VolumeSource)? { lock.lock(); defer { lock.unlock() }; return opened }

    /// Voxels computed so far.
    var voxelsDone: Int { lock.lock(); defer { lock.unlock() }; return Self.union(boxes, within: Box3(shape: shape)) }

    /// Stores a finished tile (on the job's thread): labels, done marks, the box list.
    ///
    /// - Throws: `IOError(.writeFailed)`.
    func write(_ tile: SegmentationTile) throws(IOError) {
        // One writer at a time; the state lock is taken only around the box list, so the key
        // thread asking for coverage never waits on the file.
        writing.lock(); defer { writing.unlock() }
        if readers == nil {
            try file.createClassLabelsVolume(Self.labelsDataset, shape: shape)
            try file.createVolume(Self.doneDataset, shape: shape)
            try file.setKey("/ensemble", key)
            let made = (try file.volume(Self.labelsDataset), try file.volume(Self.doneDataset))
            lock.lock(); opened = made; lock.unlock()
        }
        try file.write(Self.labelsDataset, box: tile.box, tile.labels.data, type: .uint8)
        try file.write(Self.doneDataset, box: tile.box, [UInt8](repeating: 1, count: tile.box.shape.count), type: .uint8)
        lock.lock()
        boxes.append(tile.box)
        let saved = boxes.map { SavedBox(z: [$0.z.lowerBound, $0.z.upperBound], y: [$0.y.lowerBound, $0.y.upperBound],
                                         x: [$0.x.lowerBound, $0.x.upperBound]) }
        lock.unlock()
        guard let json = try? JSONEncoder().encode(saved) else { return }
        try file.setBlob(Self.tilesBlob, key: key, [UInt8](json))
    }

    /// The share of slice z computed, 0…1.
    func coverage(z: Int) -> Double {
        lock.lock(); defer { lock.unlock() }
        let slice = Box3(z: z..<(z + 1), y: 0..<shape.y, x: 0..<shape.x)
        return Double(Self.union(boxes, within: slice)) / Double(max(1, shape.planeCount))
    }

    /// Whether every voxel of `box` is computed.
    func covers(_ box: Box3) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return Self.union(boxes, within: box) == box.shape.count
    }

    /// Voxels of `within` inside any of `boxes`, counted slice by slice over the boxes' y–x
    /// rectangles (a coverage grid of the distinct edges, so large volumes cost little).
    static func union(_ boxes: [Box3], within: Box3) -> Int {
        let clipped = boxes.compactMap { b -> Box3? in
            let z = max(b.z.lowerBound, within.z.lowerBound)..<max(max(b.z.lowerBound, within.z.lowerBound), min(b.z.upperBound, within.z.upperBound))
            let y = max(b.y.lowerBound, within.y.lowerBound)..<max(max(b.y.lowerBound, within.y.lowerBound), min(b.y.upperBound, within.y.upperBound))
            let x = max(b.x.lowerBound, within.x.lowerBound)..<max(max(b.x.lowerBound, within.x.lowerBound), min(b.x.upperBound, within.x.upperBound))
            return z.isEmpty || y.isEmpty || x.isEmpty ? nil : Box3(z: z, y: y, x: x)
        }
        guard !clipped.isEmpty else { return 0 }
        let zs = Set(clipped.flatMap { [$0.z.lowerBound, $0.z.upperBound] }).sorted()
        let ys = Set(clipped.flatMap { [$0.y.lowerBound, $0.y.upperBound] }).sorted()
        let xs = Set(clipped.flatMap { [$0.x.lowerBound, $0.x.upperBound] }).sorted()
        var total = 0
        for zi in 0..<(zs.count - 1) {
            let z = zs[zi]
            let here = clipped.filter { $0.z.contains(z) }
            guard !here.isEmpty else { continue }
            for yi in 0..<(ys.count - 1) {
                let y = ys[yi]
                let row = here.filter { $0.y.contains(y) }
                guard !row.isEmpty else { continue }
                for xi in 0..<(xs.count - 1) where row.contains(where: { $0.x.contains(xs[xi]) }) {
                    total += (zs[zi + 1] - z) * (ys[yi + 1] - y) * (xs[xi + 1] - xs[xi])
                }
            }
        }
        return total
    }
}
