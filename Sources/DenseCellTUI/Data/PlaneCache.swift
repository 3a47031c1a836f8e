import DenseCellCore
import Foundation

/// One plane of one volume (an xy slice at one pyramid level, or an xz/yz plane at full
/// resolution): bytes for labels, masks, grays and uint8 images; floats for other images.
struct Plane: @unchecked Sendable {
    var height: Int
    var width: Int
    var bytes: [UInt8] = []
    var floats: [Float] = []

    var byteCount: Int { bytes.count + 4 * floats.count + 64 }
    /// The value at (y, x) as a number (image readout).
    func value(_ y: Int, _ x: Int) -> Float {
        let i = y * width + x
        return floats.isEmpty ? Float(bytes[i]) : floats[i]
    }
}

/// Which plane: a volume (its number in `VolumeTable`, or `PlaneStore.grayVolume`), the plane's
/// orientation and index along its normal (z for xy planes), a pyramid level (xy planes only).
struct PlaneKey: Hashable, Sendable {
    var volume: Int
    var axis: PlaneAxis
    var index: Int
    var level: Int

    init(volume: Int, axis: PlaneAxis = .xy, index: Int, level: Int = 0) {
        self.volume = volume; self.axis = axis; self.index = index; self.level = level
    }

    /// Slice z of a volume at a level.
    init(volume: Int, z: Int, level: Int) { self.init(volume: volume, axis: .xy, index: z, level: level) }

    /// The same plane of another volume.
    func of(_ volume: Int) -> PlaneKey { PlaneKey(volume: volume, axis: axis, index: index, level: level) }
}

/// Decoded planes, least recently used first out, bounded in bytes (`view --cache-mb`). Shared by
/// the key thread (which reads it while drawing) and the loader (which fills it), so it locks.
final class PlaneCache: @unchecked Sendable {
    let capacity: Int
    private let lock = NSLock()
    private var planes: [PlaneKey: (plane: Plane, used: UInt64)] = [:]
    private var clock: UInt64 = 0
    /// Planes the current frame draws: never evicted (the bound may be exceeded by one frame's planes).
    private var pinned: Set<PlaneKey> = []
    /// Bumped per volume when its planes are dropped, so a read that began before does not put back an old plane.
    private var epochs: [Int: Int] = [:]
    private var storedBytes = 0
    /// Bytes held now.
    var bytes: Int { lock.lock(); defer { lock.unlock() }; return storedBytes }
    /// Planes evicted so far (tests look at it to see the bound hold).
    private(set) var evictions = 0

    init(capacityBytes: Int) { capacity = max(1 << 20, capacityBytes) }

    func get(_ key: PlaneKey) -> Plane? {
        lock.lock(); defer { lock.unlock() }
        guard let entry = planes[key] else { return nil }
        clock += 1
        planes[key] = (entry.plane, clock)
        return entry.plane
    }

    /// The plane without marking it used.
    func peek(_ key: PlaneKey) -> Plane? { lock.lock(); defer { lock.unlock() }; return planes[key]?.plane }

    func contains(_ key: PlaneKey) -> Bool { lock.lock(); defer { lock.unlock() }; return planes[key] != nil }

    /// The planes the current frame draws.
    func pin(_ keys: Set<PlaneKey>) { lock.lock(); pinned = keys; lock.unlock() }

    /// The volume's epoch, to pass back to `put(_:_:epoch:)` after a read.
    func epoch(_ volume: Int) -> Int { lock.lock(); defer { lock.unlock() }; return epochs[volume, default: 0] }

    /// Adds a plane read when the volume's epoch was `epoch`; dropped if the volume changed since.
    func put(_ key: PlaneKey, _ plane: Plane, epoch: Int) {
        lock.lock()
        let current = epochs[key.volume, default: 0] == epoch
        lock.unlock()
        if current { put(key, plane) }
    }

    func put(_ key: PlaneKey, _ plane: Plane) {
        lock.lock(); defer { lock.unlock() }
        clock += 1
        if let old = planes[key] { storedBytes -= old.plane.byteCount }
        planes[key] = (plane, clock)
        storedBytes += plane.byteCount
        // Evict the least recently used until within the bound (the newest always stays).
        while storedBytes > capacity && planes.count > 1 {
            guard let oldest = planes.filter({ $0.key != key && !pinned.contains($0.key) }).min(by: { $0.value.used < $1.value.used })
            else { break }
            storedBytes -= oldest.value.plane.byteCount
            planes[oldest.key] = nil
            evictions += 1
        }
    }

    /// Drops slices `z` of a volume (its voxels changed there), and its xz and yz planes, which
    /// cross every slice; reads of it already under way are not put back.
    func invalidate(volume: Int, z: Range<Int>) {
        lock.lock()
        epochs[volume, default: 0] += 1
        lock.unlock()
        remove { $0.volume == volume && ($0.axis != .xy || z.contains($0.index)) }
    }

    /// Drops the planes `matching` selects (a source changed under them).
    func remove(where matching: (PlaneKey) -> Bool) {
        lock.lock(); defer { lock.unlock() }
        for key in planes.keys where matching(key) {
            storedBytes -= planes[key]!.plane.byteCount
            planes[key] = nil
        }
    }
}
