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

    /// See `PlaneStore.level(forZoom:kind:axis:levels:)`.
    func level(forZoom zoom: Double, kind: PaneKind = .image, axis: PlaneAxis = .xy) -> Int {
        PlaneStore.level(forZoom: zoom, kind: kind, axis: axis, levels: levels)
    }

    func gray(_ axis: PlaneAxis, _ index: Int, level: Int) -> Plane? { planes.gray(axis, index, level: level) }

    func plane(_ volume: Int, _ axis: PlaneAxis, _ index: Int, level: Int) -> Plane? { planes.plane(volume, axis, index, level: level) }

    /// Whether reading this plane failed (shown instead of "reading").
    func planeFailed(_ volume: Int, _ axis: PlaneAxis, _ index: Int, level: Int) -> Bool { planes.hasFailed(volume, axis, index, level: level) }

    /// A voxel's place in the full-resolution plane of `axis` through it.
    private func at(_ axis: PlaneAxis, z: Int, y: Int, x: Int) -> (index: Int, offset: (Plane) -> Int) {
        let p = axis.planeCoordinates(z: z, y: y, x: x)
        return (p.index, { $0.width * p.row + p.column })
    }

    /// The raw image value at a voxel, from the plane of `axis` through it (nil while it is read).
    func imageValue(_ axis: PlaneAxis = .xy, z: Int, y: Int, x: Int) -> Float? {
        let (index, offset) = at(axis, z: z, y: y, x: x)
        return planes.plane(VolumeTable.image, axis, index, level: 0).map { plane in
            let i = offset(plane)
            return plane.floats.isEmpty ? Float(plane.bytes[i]) : plane.floats[i]
        }
    }

    /// A source's label at a voxel, from the plane of `axis` through it (nil: not read yet; -1: outside its mask).
    func label(_ s: Int, _ axis: PlaneAxis = .xy, z: Int, y: Int, x: Int) -> Int? {
        let src = sources[s]
        let (index, offset) = at(axis, z: z, y: y, x: x)
        if let m = src.mask {
            guard let mask = planes.plane(m, axis, index, level: 0) else { return nil }
            if mask.bytes[offset(mask)] == 0 { return -1 }
        }
        return planes.plane(src.labels, axis, index, level: 0).map { Int($0.bytes[offset($0)]) }
    }

    /// Whether the planes of these sources' panes at plane `index` of `axis` are at hand.
    func planesAvailable(_ axis: PlaneAxis, _ index: Int, level: Int, names: [String]) -> Bool {
        guard gray(axis, index, level: level) != nil else { return false }
        for name in names {
            guard let i = sourceIndex(name) else { continue }
            if plane(sources[i].labels, axis, index, level: level) == nil { return false }
            if let m = sources[i].mask, plane(m, axis, index, level: level) == nil { return false }
        }
        return true
    }

    /// The study made of the planes drawn at `level` of plane `index` of `axis` (gray as the
    /// image, window 0…255; one slice of rows × columns), or nil while one is read: what the
    /// pixel panes rasterize.
    func planeStudy(_ axis: PlaneAxis, _ index: Int, level: Int, names: [String]) -> Study? {
        guard let g = gray(axis, index, level: level) else { return nil }
        let s = Shape3(1, g.height, g.width)
        var labels: [LabelSource] = []
        for name in names {
            guard let i = sourceIndex(name) else { continue }
            guard let l = plane(sources[i].labels, axis, index, level: level) else { return nil }
            var mask: Volume<UInt8>? = nil
            if let m = sources[i].mask {
                guard let mp = plane(m, axis, index, level: level) else { return nil }
                mask = .init(shape: s, data: mp.bytes)
            }
            labels.append(LabelSource(name: name, role: sources[i].role, labels: .init(shape: s, data: l.bytes), mask: mask))
        }
        return Study(image: .init(shape: s, data: g.bytes.map(Float.init)), labels: labels, schema: schema)
    }
}
