import DenseCellCore
import DenseCellIO
import Foundation

/// The multiscale pyramid of every volume on disk, in the viewer cache file
/// (`/pyramid/<digest>/<level>`): level L is the slice halved L times. The first background
/// pass writes it slab by slab; the plane loader reads the slices written so far. Pyramids kept
/// from an earlier visit are used whole.
final class PyramidStore: @unchecked Sendable {
    /// Pyramid levels above 0 (for planes this large).
    let levels: Int
    let shape: Shape3
    private let file: ViewerCacheFile
    /// The volumes with a pyramid: number, kind, source name (labels and masks), group, whether 8-bit.
    private var written: [(index: Int, kind: VolumeKind, name: String?, group: String, uint8: Bool)] = []
    /// Slices whose pyramid is in the file, per volume: written on the pass's thread, read on the loader's.
    private var ready: [Int: Set<Int>] = [:]
    private let lock = NSLock()

    init(file: ViewerCacheFile, shape: Shape3) {
        self.file = file
        self.shape = shape
        levels = PlanePyramid.levels(height: shape.y, width: shape.x)
    }

    /// The group of a volume's pyramid, nil for volumes in memory, volumes whose file keeps every
    /// level itself (an OME-Zarr or N5 multiscale), or planes too small for levels.
    func group(for reader: VolumeSource) -> String? {
        guard !reader.isInMemory, levels > 0 else { return nil }
        let storesEveryLevel = (1...levels).allSatisfy { level in
            let size = PlanePyramid.size(height: shape.y, width: shape.x, level: level)
            return reader.storedLevel(height: size.height, width: size.width) != nil
        }
        guard !storesEveryLevel else { return nil }
        return "/pyramid/" + ViewerCacheFile.digest(ViewerCacheFile.identity(of: reader))
    }

    /// Takes the study's own volumes (fixed from here on): pyramids complete from an earlier
    /// visit are used when `complete`, the others are made again by the first pass.
    /// - Parameter name: the source a labels or mask volume belongs to.
    /// - Returns: a problem to tell, if the pyramid cannot be kept.
    func prepare(_ volumes: [(index: Int, entry: VolumeTable.Entry)], complete: Bool, name: (Int) -> String?) -> String? {
        var problem: String?
        for (i, v) in volumes {
            guard let group = v.pyramid else { continue }
            written.append((i, v.kind, name(i), group, v.reader.typeName == "uint8"))
            let identity = ViewerCacheFile.identity(of: v.reader)
            if complete && file.key(group) == identity + " complete" {
                ready[i] = Set(0..<shape.z)
                continue
            }
            file.remove(group)
            do {
                for level in 1...levels {
                    let size = PlanePyramid.size(height: shape.y, width: shape.x, level: level)
                    let s = Shape3(shape.z, size.height, size.width)
                    if v.kind == .image && v.reader.typeName != "uint8" { try file.createFloatVolume("\(group)/\(level)", shape: s) }
                    else { try file.createVolume("\(group)/\(level)", shape: s) }
                }
                try file.setKey(group, identity + " partial")
            } catch {
                problem = "pyramid not cached: \(error)"
            }
        }
        return problem
    }

    /// Whether slice z of a volume's pyramid is in the file.
    func has(_ volume: Int, z: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return ready[volume]?.contains(z) ?? false
    }

    /// A stored plane of level ≥ 1.
    func read(_ key: PlaneKey, group: String) throws -> Plane {
        let size = PlanePyramid.size(height: shape.y, width: shape.x, level: key.level)
        let stored = try file.volume("\(group)/\(key.level)")
        var p = Plane(height: size.height, width: size.width)
        switch try stored.read(Box3(z: key.index..<(key.index + 1), y: 0..<size.height, x: 0..<size.width)) {
        case .uint8(let b): p.bytes = b.data
        case let other: p.floats = other.asFloat().data
        }
        return p
    }

    /// Writes every level of slab `z` of each volume (on the pass's thread, the first time through).
    /// - Returns: a problem to tell, if the file could not be written.
    func write(slab z: Range<Int>, image: Volume<Float>, labels: [String: Volume<UInt8>], masks: [String: Volume<UInt8>]) -> String? {
        guard levels > 0 else { return nil }
        let plane = shape.planeCount
        do {
            for v in written {
                let bytes: [UInt8], floats: [Float]
                switch v.kind {
                case .image:
                    (bytes, floats) = v.uint8 ? (image.data.map { UInt8($0) }, []) : ([], image.data)
                case .labels, .mask:
                    guard let name = v.name, let slab = v.kind == .labels ? labels[name] : masks[name] else { continue }
                    (bytes, floats) = (slab.data, [])
                }
                var planes: [Plane] = z.indices.map { k in
                    let range = (k - z.lowerBound) * plane..<((k - z.lowerBound + 1) * plane)
                    return Plane(height: shape.y, width: shape.x, bytes: bytes.isEmpty ? [] : Array(bytes[range]),
                                 floats: floats.isEmpty ? [] : Array(floats[range]))
                }
                for level in 1...levels {
                    planes = planes.map { $0.halved(v.kind) }
                    let box = Box3(z: z, y: 0..<planes[0].height, x: 0..<planes[0].width)
                    if planes[0].floats.isEmpty { try file.write("\(v.group)/\(level)", box: box, planes.flatMap(\.bytes), type: .uint8) }
                    else { try file.write("\(v.group)/\(level)", box: box, planes.flatMap(\.floats), type: .float32) }
                }
                lock.lock(); ready[v.index, default: []].formUnion(z); lock.unlock()
            }
            return nil
        } catch {
            return "pyramid not cached: \(error)"
        }
    }

    /// Marks every pyramid complete (after the first pass), so the next visit uses them whole.
    func markComplete(_ volumes: VolumeTable) throws(IOError) {
        for v in written {
            try file.setKey(v.group, ViewerCacheFile.identity(of: volumes[v.index].reader) + " complete")
        }
    }
}

extension Plane {
    /// The plane at the next pyramid level: images average 2×2 blocks, labels and masks keep
    /// their most frequent value.
    func halved(_ kind: VolumeKind) -> Plane {
        let size = PlanePyramid.size(height: height, width: width, level: 1)
        var out = Plane(height: size.height, width: size.width)
        switch kind {
        case .image:
            if floats.isEmpty { out.bytes = PlanePyramid.halveMean(bytes, height: height, width: width) }
            else { out.floats = PlanePyramid.halveMean(floats, height: height, width: width) }
        case .labels, .mask: out.bytes = PlanePyramid.halveMode(bytes, height: height, width: width)
        }
        return out
    }
}
