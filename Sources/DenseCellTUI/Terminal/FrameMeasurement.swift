import DenseCellCore
import Foundation

/// `view --measure-frames`: frame build times at a given terminal size without a terminal, as
/// `bench` would report them, for tuning by hand — the first frame, slices never read before,
/// the background pass, then frames that pan, zoom and change slices; with an image protocol
/// also the bytes sent per frame. It waits on what the background reports, never sleeps.
public struct FrameMeasurement {
    let session: ViewerSession
    let cols: Int, rows: Int
    let mode: GraphicsMode
    let cell: CellSize
    /// When the command started (`DispatchTime` nanoseconds): the first frame counts from there.
    let started: UInt64

    public init(session: ViewerSession, cols: Int, rows: Int, mode: GraphicsMode, cell: CellSize, started: UInt64) {
        self.session = session
        self.cols = cols
        self.rows = rows
        self.mode = mode
        self.cell = cell
        self.started = started
    }

    /// Measures, reporting one line at a time.
    public func run(report: (String) -> Void) {
        let session = self.session
        let data = session.data
        session.send(.resize(cols: cols, rows: rows))
        session.send(.setGraphics(mode, cell: cell))
        let images = PaneImageSender(mode: mode)
        func seconds(since t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
        /// Draws until every pane has its planes (what a user sees settle on screen); returns the
        /// seconds until the first pane (the image) could be drawn.
        @discardableResult
        func drawUntilShown() -> Double {
            let t = DispatchTime.now().uptimeNanoseconds
            var firstPane: Double? = nil
            while true {
                let frame = session.prepareFrame()
                _ = session.render(frame)
                _ = images.update(state: session.state, data: frame)
                session.applyBackgroundEvents()
                if firstPane == nil, let pane = Layout(session.state).panes.first,
                   frame.gray(pane.axis, session.state.index(pane.axis), level: frame.level(forZoom: Layout(session.state).zoom(session.state), kind: pane.kind, axis: pane.axis)) != nil {
                    firstPane = seconds(since: t)
                }
                if data.planes.screenPlanesRead && !images.holdsBack { break }
                // Woken by the planes arriving; a pane held back for its interval comes back soon.
                session.waitForBackground(atMost: images.holdsBack ? 0.05 : 1)
            }
            _ = session.frame()
            return firstPane ?? seconds(since: t)
        }
        // Out of core: the first frame, slices never read before, the background pass.
        drawUntilShown()
        report(String(format: "first frame %.2f s after start (%@, %d×%d×%d)", seconds(since: started), mode.rawValue,
                      data.shape.z, data.shape.y, data.shape.x))
        var uncached: [Double] = []
        let depth = data.shape.z
        for k in 0..<5 {
            let t = DispatchTime.now().uptimeNanoseconds
            session.send(.goToSlice((depth / 2 + 37 * (k + 1)) % depth))
            drawUntilShown()
            uncached.append(seconds(since: t) * 1000)
        }
        uncached.sort()
        report(String(format: "slice not read before: median %.0f ms, max %.0f ms (5 slices)", uncached[2], uncached[4]))
        session.send(.goToSlice(0))
        drawUntilShown()
        while data.statistics.passProgress != nil {
            session.applyBackgroundEvents()
            // The pass reports as it counts, and once more when done.
            session.waitForBackground(atMost: 1)
        }
        session.applyBackgroundEvents()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        report(String(format: "volume metrics ready %.1f s after start; peak resident %d MB", seconds(since: started), usage.ru_maxrss / 1024))
        // Every kind of pane: image, overlays and the disagreement map of the pair.
        if session.state.hasPair { session.send(.toggleDisagreementMap) }
        // Warm up once: slice grays, color tables and whole-volume metrics are computed once
        // and cached; then time frames that change what is drawn.
        let warm = session.prepareFrame()
        _ = session.render(warm)
        _ = images.update(state: session.state, data: warm)
        session.send(.toggleMetricsScope); _ = session.frame(); session.send(.toggleMetricsScope)
        if mode.isPixels {
            let panes = Layout(session.state).panes.map { "\($0.pixels.width)×\($0.pixels.height) cells" }
            report("\(mode.rawValue), cells of \(cell.width)×\(cell.height) pixels, \(panes.count) panes of \(panes.first ?? "")")
        }
        func time(_ label: String, _ actions: [Action]) {
            var times: [Double] = [], bytes: [Int] = [], panesSent = 0
            for i in 0..<(mode.isPixels ? 20 : 60) {
                session.send(actions[i % actions.count])
                let t0 = DispatchTime.now().uptimeNanoseconds
                let frame = session.prepareFrame()
                _ = session.render(frame)
                bytes.append(images.update(state: session.state, data: frame).bytes.count)
                panesSent += images.panesSentLastFrame
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            times.sort(); bytes.sort()
            let sent = mode.isPixels ? String(format: "; %@ sent: median %.0f KB, max %.0f KB per frame, %.0f KB per pane", mode.rawValue,
                                              Double(bytes[bytes.count / 2]) / 1000, Double(bytes.last!) / 1000,
                                              Double(bytes.reduce(0, +)) / 1000 / Double(max(1, panesSent))) : ""
            report(String(format: "frame %dx%d on a %d×%d slice, %@: median %.2f ms, p90 %.2f ms, max %.2f ms (%d frames)%@",
                          cols, rows, data.shape.y, data.shape.x, label, times[times.count / 2],
                          times[times.count * 9 / 10], times.last!, times.count, sent))
        }
        // Side planes: a plane never read (a column of blocks decoded), one read with it (warm),
        // then 20 steps along the normal as a reader holding j would make them.
        for axis in [PlaneAxis.xz, .yz] {
            while session.state.plane != axis { session.send(.cyclePlane) }
            let depth = axis.depth(data.shape)
            let start = depth / 3
            var t = DispatchTime.now().uptimeNanoseconds
            session.send(.goToPlane(start))
            let firstPane = drawUntilShown()
            let cold = seconds(since: t)
            t = DispatchTime.now().uptimeNanoseconds
            session.send(.goToPlane(start + 1))
            drawUntilShown()
            let warm = seconds(since: t)
            t = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<20 { session.send(.nextSlice); drawUntilShown() }
            let steps = seconds(since: t)
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let size = axis.size(data.shape)
            report(String(format: "%@ plane (%d×%d, %d panes): cold %.0f ms (image pane after %.0f ms), warm %.1f ms, 20 steps %.2f s; peak resident %d MB",
                          axis.rawValue, size.rows, size.columns, Layout(session.state).panes.count, cold * 1000, firstPane * 1000,
                          warm * 1000, steps, usage.ru_maxrss / 1024))
        }
        // The three-plane layout through the same cursor.
        session.send(.toggleThreePlanes)
        var t = DispatchTime.now().uptimeNanoseconds
        drawUntilShown()
        report(String(format: "three planes (xy, xz, yz of %@): %.0f ms to show", session.state.sources.first ?? "image", seconds(since: t) * 1000))
        session.send(.toggleThreePlanes)
        while session.state.plane != .xy { session.send(.cyclePlane) }
        t = DispatchTime.now().uptimeNanoseconds
        drawUntilShown()
        _ = t
        time("pan and metrics tabs", [.pan(dy: 0, dx: 1), .pan(dy: 0, dx: -1), .cycleMetricsTab, .toggleMetricsScope])
        time("zoom", [.zoomIn, .zoomOut])
        time("slice changes", [.nextSlice, .previousSlice])
        // Slices never shown before: display window and slice metrics computed on the way.
        let n = data.shape.z
        time("first visits", (0..<n).map { .goToSlice(($0 * 7 + 3) % n) })
    }
}
