import DenseCellCore

/// What one frame is drawn from: the planes the plane store handed out for it (`FramePlanes`),
/// the sources as they stood, and the statistics (read as counted so far). Rendering only reads
/// it: asking for planes happened before, in `ViewerSession.prepareFrame()`.
public struct FrameData {
    let planes: FramePlanes
    let sources: [SourceVolumes]
    let schema: LabelSchema
    let shape: Shape3
    /// Pyramid levels above 0.
    let levels: Int
    /// The gray window the gray planes were made with.
    let window: GrayWindow
    /// The sources' revision (bumped when a derived source changes).
    let revision: Int
    let statistics: StatisticsStore
    let ensemble: EnsembleStore

    func sourceIndex(_ name: String) -> Int? { sources.firstIndex { $0.name == name } }

    /// See `PlaneStore.level(forZoom:kind:levels:)`.
    func level(forZoom zoom: Double, kind: PaneKind = .image) -> Int { PlaneStore.level(forZoom: zoom, kind: kind, levels: levels) }

    func gray(z: Int, level: Int) -> Plane? { planes.gray(z: z, level: level) }

    func plane(_ volume: Int, z: Int, level: Int) -> Plane? { planes.plane(volume, z: z, level: level) }

    /// Whether reading this plane failed (shown instead of "reading").
    func planeFailed(_ volume: Int, z: Int, level: Int) -> Bool { planes.hasFailed(volume, z: z, level: level) }

    /// The raw image value at a voxel (nil while its full-resolution plane is read).
    func imageValue(z: Int, y: Int, x: Int) -> Float? {
        planes.plane(VolumeTable.image, z: z, level: 0).map { $0.value(y, x) }
    }

    /// A source's label at a voxel (nil: not read yet; -1: outside its mask).
    func label(_ s: Int, z: Int, y: Int, x: Int) -> Int? {
        let src = sources[s]
        if let m = src.mask {
            guard let mask = planes.plane(m, z: z, level: 0) else { return nil }
            if mask.bytes[y * mask.width + x] == 0 { return -1 }
        }
        return planes.plane(src.labels, z: z, level: 0).map { Int($0.bytes[y * $0.width + x]) }
    }

    /// Whether the planes of these sources' panes at slice z are at hand.
    func planesAvailable(z: Int, level: Int, names: [String]) -> Bool {
        guard gray(z: z, level: level) != nil else { return false }
        for name in names {
            guard let i = sourceIndex(name) else { continue }
            if plane(sources[i].labels, z: z, level: level) == nil { return false }
            if let m = sources[i].mask, plane(m, z: z, level: level) == nil { return false }
        }
        return true
    }

    /// The study made of the planes drawn at `level` of slice z (gray as the image, window 0…255),
    /// or nil while one is read: what the pixel panes rasterize.
    func planeStudy(z: Int, level: Int, names: [String]) -> Study? {
        guard let g = gray(z: z, level: level) else { return nil }
        let s = Shape3(1, g.height, g.width)
        var labels: [LabelSource] = []
        for name in names {
            guard let i = sourceIndex(name) else { continue }
            guard let l = plane(sources[i].labels, z: z, level: level) else { return nil }
            var mask: Volume<UInt8>? = nil
            if let m = sources[i].mask {
                guard let mp = plane(m, z: z, level: level) else { return nil }
                mask = .init(shape: s, data: mp.bytes)
            }
            labels.append(LabelSource(name: name, role: sources[i].role, labels: .init(shape: s, data: l.bytes), mask: mask))
        }
        return Study(image: .init(shape: s, data: g.bytes.map(Float.init)), labels: labels, schema: schema)
    }
}
