import DenseCellCore

/// The planes one frame draws, named before it is drawn: each pane's planes at its pyramid
/// level (the image as gray planes), then the full-resolution planes of the cursor readout.
struct FrameRequest {
    /// The panes' planes, in drawing order, each once.
    var panes: [PlaneKey] = []
    /// Level-0 planes for the header's readout under the cursor (of the plane `j`/`k` move, which holds it).
    var readout: [PlaneKey] = []

    init(_ state: ViewState, sources: SourceTable, level: (Double, PaneKind, PlaneAxis) -> Int) {
        let layout = Layout(state)
        let zoom = layout.zoom(state)
        func add(_ key: PlaneKey, _ list: inout [PlaneKey]) { if !list.contains(key) { list.append(key) } }
        for pane in layout.panes {
            let l = level(zoom, pane.kind, pane.axis)
            let here = PlaneKey(volume: PlaneStore.grayVolume, axis: pane.axis, index: state.index(pane.axis), level: l)
            add(here, &panes)
            for name in pane.kind.figurePane(state).sourceNames {
                guard let i = sources.index(of: name) else { continue }
                add(here.of(sources[i].labels), &panes)
                if let m = sources[i].mask { add(here.of(m), &panes) }
            }
        }
        // The header (and its readout) is drawn only when the terminal is large enough.
        guard !layout.tooSmall else { return }
        let cursorPlane = PlaneKey(volume: VolumeTable.image, axis: state.plane, index: state.index(state.plane), level: 0)
        readout.append(cursorPlane)
        for name in state.sources {
            guard let i = sources.index(of: name) else { continue }
            if let m = sources[i].mask { add(cursorPlane.of(m), &readout) }
            add(cursorPlane.of(sources[i].labels), &readout)
        }
    }
}

/// The planes the plane store handed out for one frame: rendering reads only these, so
/// drawing never queues a read or pins a plane. Planes are shared, not copied.
struct FramePlanes {
    var planes: [PlaneKey: Plane] = [:]
    /// Planes whose read failed (the pane says so instead of waiting).
    var failed: Set<PlaneKey> = []

    func gray(_ axis: PlaneAxis, _ index: Int, level: Int) -> Plane? {
        planes[PlaneKey(volume: PlaneStore.grayVolume, axis: axis, index: index, level: level)]
    }

    func plane(_ volume: Int, _ axis: PlaneAxis, _ index: Int, level: Int) -> Plane? {
        planes[PlaneKey(volume: volume, axis: axis, index: index, level: level)]
    }

    func hasFailed(_ volume: Int, _ axis: PlaneAxis, _ index: Int, level: Int) -> Bool {
        failed.contains(PlaneKey(volume: volume, axis: axis, index: index, level: level))
    }
}
