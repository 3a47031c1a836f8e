import DenseCellCore
import DenseCellIO
import Foundation

/// Reads one plane of the volume table: level 0 from the volume's reader, levels above from
/// the pyramid in the viewer cache when that slice is stored there, else by halving the level
/// below (which is kept in the cache, so the first visit of a slice reads level 0 once); xz and
/// yz planes in bands. Runs on the loader's thread, or at once for volumes in memory.
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

    /// One plane: an xy slice at its level, or an xz/yz plane (level 0).
    func read(_ key: PlaneKey) throws -> Plane {
        let v = volumes[key.volume]
        if key.axis != .xy { return try planes(of: v.reader, kind: v.kind, axis: key.axis, indices: key.index..<(key.index + 1))[0] }
        if key.level == 0 { return try planes(of: v.reader, kind: v.kind, axis: .xy, indices: key.index..<(key.index + 1))[0] }
        // A level the file keeps itself (an OME-Zarr or N5 multiscale) is read from the file.
        let size = PlanePyramid.size(height: v.reader.shape.y, width: v.reader.shape.x, level: key.level)
        if let stored = v.reader.storedLevel(height: size.height, width: size.width) {
            return try planes(of: stored, kind: v.kind, axis: .xy, indices: key.index..<(key.index + 1))[0]
        }
        if let group = v.pyramid, pyramid.has(key.volume, z: key.index) { return try pyramid.read(key, group: group) }
        let belowKey = PlaneKey(volume: key.volume, z: key.index, level: key.level - 1)
        let below: Plane
        if let cached = cache.get(belowKey) { below = cached } else { below = try read(belowKey); cache.put(belowKey, below) }
        return below.halved(v.kind)
    }

    /// The plane of `key` first, then the planes next to it that the same read decoded: an xz or
    /// yz plane reads every block of its column of blocks, so the planes of a band through those
    /// blocks come at no further decoding (docs/ARCHITECTURE.md, "Orthogonal planes").
    func readWithNeighbours(_ key: PlaneKey) throws -> [(key: PlaneKey, plane: Plane)] {
        let v = volumes[key.volume]
        guard key.axis != .xy, !v.reader.isInMemory else { return [(key, try read(key))] }
        let band = Self.band(around: key.index, axis: key.axis, reader: v.reader, kind: v.kind, cacheBytes: cache.capacity)
        let planes = try planes(of: v.reader, kind: v.kind, axis: key.axis, indices: band)
        var result = [(key: key, plane: planes[key.index - band.lowerBound])]
        for (i, plane) in zip(band, planes) where i != key.index {
            result.append((PlaneKey(volume: key.volume, axis: key.axis, index: i, level: 0), plane))
        }
        return result
    }

    /// The planes read together with plane `index`: inside one block along the normal, at most
    /// an eighth of the cache (and 64 planes), bands splitting the block evenly so no read crosses it.
    static func band(around index: Int, axis: PlaneAxis, reader: VolumeSource, kind: VolumeKind, cacheBytes: Int) -> Range<Int> {
        let size = axis.size(reader.shape), depth = axis.depth(reader.shape)
        let bytesPerVoxel = kind == .image && reader.typeName != "uint8" ? 4 : 1
        let most = max(1, min(64, cacheBytes / 8 / max(1, size.rows * size.columns * bytesPerVoxel)))
        let block = reader.blockExtent?[axis.normal] ?? most
        let parts = (block + most - 1) / most, width = (block + parts - 1) / parts
        let blockStart = index / block * block
        let start = blockStart + (index - blockStart) / width * width
        return start..<min(depth, start + width, blockStart + block)
    }

    /// Planes `indices` of `axis` of a reader, as the viewer keeps planes: 8-bit images as bytes,
    /// others as floats, labels checked against the schema, masks as 0/1.
    func planes(of reader: VolumeSource, kind: VolumeKind, axis: PlaneAxis, indices: Range<Int>) throws -> [Plane] {
        let band = axis.box(reader.shape, index: indices.lowerBound, count: indices.count)
        let size = axis.size(reader.shape)
        var planes = indices.map { _ in Plane(height: size.rows, width: size.columns) }
        // xz and yz planes are read one layer of blocks in z at a time and put together row by
        // row (their rows are z): a library's block cache then never holds more than a layer.
        let step = axis == .xy ? band.z.count : max(1, reader.zGrain)
        for z0 in stride(from: band.z.lowerBound, to: band.z.upperBound, by: step) {
            var box = band
            box.z = z0..<min(band.z.upperBound, z0 + step)
            var bytes: [UInt8]? = nil, floats: [Float]? = nil
            switch kind {
            case .image:
                if reader.typeName == "uint8", case .uint8(let b) = try reader.read(box) { bytes = b.data }
                else { floats = try reader.readImage(box).data }
            case .labels: bytes = try reader.readLabels(box, mapping: mapping).data
            case .mask: bytes = try reader.readMask(box).data
            }
            if indices.count == 1 && axis == .xy {
                if let b = bytes { planes[0].bytes = b }
                if let f = floats { planes[0].floats = f }
                continue
            }
            if let b = bytes { for (k, part) in axis.planes(b, box: box).enumerated() { planes[k].bytes += part } }
            if let f = floats { for (k, part) in axis.planes(f, box: box).enumerated() { planes[k].floats += part } }
        }
        return planes
    }
}
