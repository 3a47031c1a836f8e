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
        if key.level == 0 { return try plane(of: v.reader, kind: v.kind, z: key.z) }
        // A level the file keeps itself (an OME-Zarr or N5 multiscale) is read from the file.
        let size = PlanePyramid.size(height: v.reader.shape.y, width: v.reader.shape.x, level: key.level)
        if let stored = v.reader.storedLevel(height: size.height, width: size.width) { return try plane(of: stored, kind: v.kind, z: key.z) }
        if let group = v.pyramid, pyramid.has(key.volume, z: key.z) { return try pyramid.read(key, group: group) }
        let belowKey = PlaneKey(volume: key.volume, z: key.z, level: key.level - 1)
        let below: Plane
        if let cached = cache.get(belowKey) { below = cached } else { below = try read(belowKey); cache.put(belowKey, below) }
        return below.halved(v.kind)
    }

    /// Slice z of a reader, whole, as the viewer keeps planes: 8-bit images as bytes, others as
    /// floats, labels checked against the schema, masks as 0/1.
    func plane(of reader: VolumeSource, kind: VolumeKind, z: Int) throws -> Plane {
        let box = reader.slab(z..<(z + 1))
        var p = Plane(height: reader.shape.y, width: reader.shape.x)
        switch kind {
        case .image:
            if reader.typeName == "uint8", case .uint8(let b) = try reader.read(box) { p.bytes = b.data }
            else { p.floats = try reader.readImage(box).data }
        case .labels: p.bytes = try reader.readLabels(box, mapping: mapping).data
        case .mask: p.bytes = try reader.readMask(box).data
        }
        return p
    }
}
