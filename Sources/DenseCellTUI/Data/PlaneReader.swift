import DenseCellCore
import DenseCellIO
import Foundation

/// Reads one plane of the volume table: level 0 from the volume's reader, levels above from
/// the pyramid in the viewer cache when that slice is stored there, else by halving the level
/// below (which is kept in the cache, so the first visit of a slice reads level 0 once). Runs on
/// the loader's thread, or at once for volumes in memory.
final class PlaneReader: @unchecked Sendable {
    let volumes: VolumeTable
    let pyramid: PyramidStore
    let cache: PlaneCache
    /// How stored label values become the schema's classes.
    let mapping: LabelMapping

    init(volumes: VolumeTable, pyramid: PyramidStore, cache: PlaneCache, mapping: LabelMapping) {
        self.volumes = volumes
        self.pyramid = pyramid
        self.cache = cache
        self.mapping = mapping
    }

    func read(_ key: PlaneKey) throws -> Plane {
        let v = volumes[key.volume]
        let s = v.reader.shape
        if key.level == 0 {
            let box = v.reader.slab(key.z..<(key.z + 1))
            var p = Plane(height: s.y, width: s.x)
            switch v.kind {
            case .image:
                if v.reader.typeName == "uint8", case .uint8(let b) = try v.reader.read(box) { p.bytes = b.data }
                else { p.floats = try v.reader.readImage(box).data }
            case .labels: p.bytes = try v.reader.readLabels(box, mapping: mapping).data
            case .mask: p.bytes = try v.reader.readMask(box).data
            }
            return p
        }
        if let group = v.pyramid, pyramid.has(key.volume, z: key.z) { return try pyramid.read(key, group: group) }
        let belowKey = PlaneKey(volume: key.volume, z: key.z, level: key.level - 1)
        let below: Plane
        if let cached = cache.get(belowKey) { below = cached } else { below = try read(belowKey); cache.put(belowKey, below) }
        return below.halved(v.kind)
    }
}
