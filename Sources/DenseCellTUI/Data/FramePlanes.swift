import DenseCellCore

/// The planes one frame draws, named before it is drawn: each pane's planes at its pyramid
/// level (the image as gray planes), then the full-resolution planes of the cursor readout.
struct FrameRequest {
    var z: Int
    /// The panes' planes, in drawing order, each once.
    var panes: [PlaneKey] = []
    /// Level-0 planes for the header's readout under the cursor.
    var readout: [PlaneKey] = []

    init(_ state: ViewState, sources: SourceTable, level: (Double, PaneKind) -> Int) {
        z = state.z
        let layout = Layout(state)
        let zoom = layout.zoom(state)
        func add(_ key: PlaneKey, _ list: inout [PlaneKey]) { if !list.contains(key) { list.append(key) } }
        for pane in layout.panes {
            let l = level(zoom, pane.kind)
            add(PlaneKey(volume: PlaneStore.grayVolume, z: z, level: l), &panes)
            for name in pane.kind.figurePane(state).sourceNames {
                guard let i = sources.index(of: name) else { continue }
                add(PlaneKey(volume: sources[i].labels, z: z, level: l), &panes)
                if let m = sources[i].mask { add(PlaneKey(volume: m, z: z, level: l), &panes) }
            }
        }
        // The header (and its readout) is drawn only when the terminal is large enough.
        guard !layout.tooSmall else { return }
        readout.append(PlaneKey(volume: VolumeTable.image, z: z, level: 0))
        for name in state.sources {
            guard let i = sources.index(of: name) else { continue }
            if let m = sources[i].mask { add(PlaneKey(volume: m, z: z, level: 0), &readout) }
            add(PlaneKey(volume: sources[i].labels, z: z, level: 0), &readout)
        }
    }
}

/// The planes the plane store handed out for one frame: rendering reads only these, so
/// drawing never queues a read or pins a plane. Planes are shared, not copied.
struct FramePlanes {
    var planes: [PlaneKey: Plane] = [:]
    /// Planes whose read failed (the pane says so instead of waiting).
    var failed: Set<PlaneKey> = []

    func gray(z: Int, level: Int) -> Plane? { planes[PlaneKey(volume: PlaneStore.grayVolume, z: z, level: level)] }

    func plane(_ volume: Int, z: Int, level: Int) -> Plane? { planes[PlaneKey(volume: volume, z: z, level: level)] }

    func hasFailed(_ volume: Int, z: Int, level: Int) -> Bool { failed.contains(PlaneKey(volume: volume, z: z, level: level)) }
}
