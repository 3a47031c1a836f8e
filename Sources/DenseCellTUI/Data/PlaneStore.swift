import DenseCellCore
import DenseCellIO
import Foundation

/// The planes of the study (docs/ARCHITECTURE.md, "Viewer"): the volume table, decoded planes in
/// a bounded least-recently-used cache, the loader that fills it off the key thread, and the
/// pyramid. Before each frame the key thread asks it for the frame's planes (`prepare`): it hands
/// out those at hand, queues the rest and the neighbouring slices, and pins the frame's planes.
final class PlaneStore: @unchecked Sendable {
    let volumes: VolumeTable
    let cache: PlaneCache
    let pyramid: PyramidStore
    private let reader: PlaneReader
    private let loader: PlaneLoader
    let shape: Shape3
    /// Gray planes (the image through the window) live under this volume number.
    static let grayVolume = -1

    /// - Parameters:
    ///   - cacheBytes: the bound of decoded planes (`view --cache-mb`).
    ///   - loaded: told on the loader's thread after each plane (with the error when it failed).
    init(volumes: VolumeTable, pyramid: PyramidStore, mapping: LabelMapping, cacheBytes: Int, loaded: @escaping @Sendable (Error?) -> Void) {
        self.volumes = volumes
        self.pyramid = pyramid
        shape = pyramid.shape
        cache = PlaneCache(capacityBytes: cacheBytes)
        reader = PlaneReader(volumes: volumes, pyramid: pyramid, cache: cache, mapping: mapping)
        let read = reader.readWithNeighbours
        loader = PlaneLoader(cache: cache, read: { try read($0) }, loaded: { _, error in loaded(error) })
    }

    func stop() { loader.stop() }

    /// The pyramid level to draw a pane at `zoom` screen pixels per voxel: the coarsest whose
    /// pixels are still no larger than a screen pixel. Disagreement maps stay at full resolution,
    /// where a one-voxel error is still there to be tinted.
    func level(forZoom zoom: Double, kind: PaneKind = .image, axis: PlaneAxis = .xy) -> Int {
        Self.level(forZoom: zoom, kind: kind, axis: axis, levels: pyramid.levels)
    }

    /// xz and yz planes are drawn from level 0: the pyramid halves y and x only.
    static func level(forZoom zoom: Double, kind: PaneKind, axis: PlaneAxis = .xy, levels: Int) -> Int {
        if case .disagreement = kind { return 0 }
        if axis != .xy { return 0 }
        guard zoom < 1, levels > 0 else { return 0 }
        return min(levels, Int(log2(1 / zoom) + 1e-9))
    }

    /// Reads slice 0 of every volume now: labels outside the schema or an image holding NaN are
    /// refused before the screen opens, and the first frame draws from these planes.
    func readFirstSlices() throws(IOError) {
        for (i, v) in volumes.all {
            let key = PlaneKey(volume: i, z: 0, level: 0)
            do { cache.put(key, try reader.read(key)) }
            catch let error as IOError { throw error }
            catch { throw IOError(.corrupt, file: v.reader.reference.path, "\(error)") }
        }
    }

    /// The request step before a frame: the planes of `request` at hand (gray planes made through
    /// `window`), the others queued for the loader, then the neighbouring slices (±1, ±2) of what
    /// the panes draw, as far as they fit beside it; the frame's planes are pinned.
    func prepare(_ request: FrameRequest, window: GrayWindow) -> FramePlanes {
        var frame = FramePlanes()
        // Pinned first, so what this frame puts in the cache does not evict its other planes.
        var pinned = Set(request.panes)
        for key in request.panes where key.volume == Self.grayVolume && !cache.contains(key) { pinned.insert(rawImage(key)) }
        cache.pin(pinned)
        var needed: [PlaneKey] = [], soon: [PlaneKey] = []
        var drawn: [PlaneKey] = []          // the panes' planes, as volume planes, each once
        for key in request.panes {
            let volumeKey = key.volume == Self.grayVolume ? rawImage(key) : key
            if !drawn.contains(volumeKey) { drawn.append(volumeKey) }
            if key.volume == Self.grayVolume, let gray = cache.get(key) { frame.planes[key] = gray; continue }
            guard let plane = atHand(volumeKey) else {
                needed.append(volumeKey)
                if loader.hasFailed(volumeKey) { frame.failed.insert(volumeKey) }
                continue
            }
            if key.volume == Self.grayVolume {
                let gray = plane.gray(through: window)
                cache.put(key, gray)
                frame.planes[key] = gray
            } else {
                frame.planes[key] = plane
            }
        }
        for key in request.readout {
            if let plane = atHand(key) { frame.planes[key] = plane } else { soon.append(key) }
        }
        // Read ahead only what fits in the cache beside what is on screen: the planes next to
        // each drawn plane along its normal.
        var prefetch: [PlaneKey] = []
        let perStep = drawn.reduce(0) { $0 + (cache.peek($1)?.byteCount ?? 0) }
        var room = cache.capacity - cache.bytes
        for d in [1, -1, 2, -2] where perStep > 0 && room >= perStep {
            room -= perStep
            for key in drawn {
                let i = key.index + d
                guard i >= 0, i < key.axis.depth(shape) else { continue }
                prefetch.append(PlaneKey(volume: key.volume, axis: key.axis, index: i, level: key.level))
            }
        }
        // The cursor readout's full-resolution planes come right after what the panes need.
        loader.want(needed, soon: soon, prefetch: prefetch)
        return frame
    }

    private func rawImage(_ gray: PlaneKey) -> PlaneKey { gray.of(VolumeTable.image) }

    /// A plane from the cache; volumes in memory (small studies built in code) are read at once.
    private func atHand(_ key: PlaneKey) -> Plane? {
        if let p = cache.get(key) { return p }
        guard volumes[key.volume].reader.isInMemory, let p = try? reader.read(key) else { return nil }
        cache.put(key, p)
        return p
    }

    /// Whether every plane the screen asked for is read (read-ahead may still run).
    var screenPlanesRead: Bool { !loader.readsForScreen }

    /// Whether no plane is waiting to be read (tests wait for this).
    var idle: Bool { loader.isIdle }

    /// Blocks the calling thread (the background pass) while planes the screen waits for are
    /// read, at most `seconds`: the disk, HDF5's lock and the cores go to what is shown.
    func waitWhileScreenReads(atMost seconds: Double) { loader.waitWhileScreenReads(atMost: seconds) }

    /// Adds a volume to the table (a derived source); returns its number.
    func add(_ reader: VolumeSource, _ kind: VolumeKind) -> Int {
        volumes.add(VolumeTable.Entry(reader: reader, kind: kind, pyramid: nil))
    }

    /// Puts another reader under a volume's number and drops its planes.
    func replace(_ index: Int, with reader: VolumeSource, _ kind: VolumeKind) {
        volumes.replace(index, with: VolumeTable.Entry(reader: reader, kind: kind, pyramid: nil))
        cache.invalidate(volume: index, z: 0..<shape.z)
    }

    /// Drops slices `z` of a volume (its voxels changed there).
    func invalidate(volume: Int, z: Range<Int>) { cache.invalidate(volume: volume, z: z) }

    /// Drops the gray planes (the window changed).
    func windowChanged() { cache.remove { $0.volume == Self.grayVolume } }
}
