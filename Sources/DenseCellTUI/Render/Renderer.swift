import DenseCellCore

/// Builds the screen for a state: header, image panes, legend, metrics, footer, help overlay.
/// Keeps lookup tables and buffers between frames; the result depends only on state and data.
final class Renderer {
    private let panes = PaneRenderer()
    private var grid = ScreenGrid(width: 0, height: 0)

    init() {}

    func render(_ state: ViewState, data: FrameData) -> ScreenGrid {
        let cols = state.terminal.cols, rows = state.terminal.rows
        grid.reset(width: cols, height: rows)
        let layout = Layout(state)
        if layout.tooSmall {
            let need = "terminal too small: \(cols)×\(rows), need \(Layout.minimumSize.cols)×\(Layout.minimumSize.rows)"
            grid.put(need, row: rows / 2, col: max(0, (cols - need.count) / 2), fg: .warning)
            grid.put("q quits", row: rows / 2 + 1, col: max(0, (cols - 7) / 2), fg: .dim)
            return grid
        }
        drawHeader(layout.header, state: state, data: data)
        for pane in layout.panes {
            drawTitle(pane, state: state, data: data)
            // With an image protocol the pane's cells stay blank: its image is sent over them.
            if !state.graphics.isPixels { panes.draw(pane, layout: layout, state: state, data: data, grid: &grid) }
        }
        ReviewOverlay.drawOutline(state, layout: layout, grid: &grid)
        drawLegend(layout.legend, state: state, data: data)
        MetricsPane(state: state, data: data, rect: layout.metrics).draw(&grid)
        if let prompt = state.prompt {
            ReviewOverlay.drawPrompt(prompt, in: layout.footer, grid: &grid)
        } else {
            drawFooter(layout.footer, state: state, data: data)
        }
        if let list = state.reviewList { ReviewOverlay.drawList(list, state: state, grid: &grid) }
        if state.helpVisible { drawHelp(state) }
        return grid
    }

    // MARK: Header: file, z, zoom, cursor and what every source says there.

    private func classLabel(_ c: Int, data: FrameData, short: Bool) -> String {
        guard c < data.schema.count else { return "?\(c)" }
        return short ? Format.shortName(data.schema.classes[c].name) : data.schema.classes[c].name
    }

    private func drawHeader(_ r: Rect, state: ViewState, data: FrameData) {
        grid.fill(r, with: Cell(" ", bg: .barBackground))
        let bg = TermColor.barBackground
        let layout = Layout(state)
        let zoom = layout.zoom(state)
        let zoomText = zoom >= 1 ? String(format: "%g×", zoom) : "1/\(String(format: "%g", (1 / zoom * 10).rounded() / 10))"
        var col = grid.put(" \(state.fileName) ", row: r.row, col: r.col, fg: .white, bg: bg, attrs: .bold)
        let plane = state.plane
        if plane != .xy || state.threePlanes {
            col = grid.put(plane.rawValue + " ", row: r.row, col: col, fg: TermColor(PlaneCuts.color(plane)), bg: bg, attrs: .bold)
        }
        col = grid.put(plane.normalName + " ", row: r.row, col: col, fg: .dim, bg: bg)
        col = grid.put("\(state.index(plane))/\(plane.depth(state.shape))", row: r.row, col: col, fg: .warning, bg: bg, attrs: .bold)
        if plane != .xy || state.threePlanes {
            // How the side planes are drawn: stretched to the voxels' aspect, or square voxels.
            let stretch = PlaneAxis.xz.rowStretch(resolution: state.resolution)
            let aspect = state.resolution == nil ? "  voxels" : stretch == 1 ? "  isotropic" : String(format: "  z×%g", (stretch * 100).rounded() / 100)
            col = grid.put(aspect, row: r.row, col: col, fg: .dim, bg: bg)
        }
        col = grid.put("  zoom ", row: r.row, col: col, fg: .dim, bg: bg)
        col = grid.put(zoomText + (state.zoom == nil ? " fit" : ""), row: r.row, col: col, fg: .white, bg: bg)
        col = grid.put("  " + state.graphics.rawValue, row: r.row, col: col, fg: .dim, bg: bg)
        let p = state.cursor
        col = grid.put("  (\(state.z),\(p.y),\(p.x)) ", row: r.row, col: col, fg: .accent, bg: bg)
        let valueText = data.imageValue(plane, z: state.z, y: p.y, x: p.x).map { value in
            value == value.rounded() && abs(value) < 1e6 ? "\(Int(value))" : String(format: "%.3g", value)
        } ?? "…"
        col = grid.put(valueText, row: r.row, col: col, fg: .white, bg: bg)
        // Per-source readout; short class names when the long ones do not fit.
        let remaining = r.width - col
        var items: [(String, String, Int)] = []
        for name in state.sources {
            guard let s = data.sourceIndex(name), let c = data.label(s, plane, z: state.z, y: p.y, x: p.x) else { continue }
            items.append((name, "", c))
        }
        let long = items.map { " \($0.0) \($0.2 < 0 ? "–" : classLabel($0.2, data: data, short: false))" }.joined()
        let short = long.count + 1 <= remaining ? false : true
        for (name, _, c) in items {
            let sourceName = short ? Format.shortSource(name) : name
            col = grid.put(" \(sourceName) ", row: r.row, col: col, fg: .dim, bg: bg)
            let label = c < 0 ? "–" : classLabel(c, data: data, short: short)
            col = grid.put(label, row: r.row, col: col, fg: c > 0 ? classColorTerm(c, data) : .white, bg: bg, attrs: .bold)
            if col >= r.width { break }
        }
    }

    private func classColorTerm(_ c: Int, _ data: FrameData) -> TermColor {
        guard c < data.schema.count, let color = data.schema.classes[c].color else { return .white }
        return TermColor(color)
    }

    private func drawTitle(_ pane: PaneLayout, state: ViewState, data: FrameData) {
        var r = pane.title
        if state.threePlanes {
            // The plane's name in its color (the color of its cut lines in the other panes).
            let active = pane.axis == state.plane
            let text = " \(pane.axis.rawValue) \(pane.axis.normalName) \(state.index(pane.axis))\(active ? " j/k" : "")"
            let end = grid.put(Format.fit(text, r.width), row: r.row, col: r.col, fg: TermColor(PlaneCuts.color(pane.axis)), attrs: active ? [.bold, .underline] : .bold)
            r = Rect(row: r.row, col: end, width: max(0, r.col + r.width - end), height: 1)
        }
        switch pane.kind {
        case .image:
            grid.put(Format.fit(" image", r.width), row: r.row, col: r.col, fg: .white, attrs: .bold)
        case .source(let i):
            var col = grid.put(" " + Format.fit(state.sources[i], r.width - 6), row: r.row, col: r.col, fg: .white, attrs: .bold)
            if state.hasPair && (i == state.pair.a || i == state.pair.b) {
                grid.put(i == state.pair.a ? " A" : " B", row: r.row, col: col, fg: .warning, attrs: .bold)
                col += 2
            }
            if state.sources[i] == SourceTable.ensembleName {
                // How much of this slice the ensemble has covered.
                let share = data.ensemble.coverage(z: state.z)
                if share < 1 {
                    grid.put(" \(Int(share * 100))% of slice", row: r.row, col: col, fg: .dim, maxWidth: r.col + r.width - col)
                }
            }
        case .disagreement(let p):
            let text = " \(state.sources[p.a]) ≠ \(state.sources[p.b])"
            grid.put(Format.fit(text, r.width), row: r.row, col: r.col, fg: .warning, attrs: .bold)
        }
    }

    // MARK: Legend: class colors with their toggle keys; disagreement colors when shown.

    private func drawLegend(_ r: Rect, state: ViewState, data: FrameData) {
        let schema = data.schema
        let painted = (0..<schema.count).filter { schema.classes[$0].color != nil }
        func width(short: Bool) -> Int {
            painted.reduce(0) { $0 + 4 + (short ? Format.shortName(schema.classes[$1].name) : schema.classes[$1].name).count + 1 }
        }
        let short = width(short: false) + 16 > r.width
        var col = r.col + 1
        for c in painted {
            let hidden = state.hiddenClasses.contains(c)
            let name = short ? Format.shortName(schema.classes[c].name) : schema.classes[c].name
            col = grid.put(c <= 9 ? "\(c)" : " ", row: r.row, col: col, fg: .dim)
            col = grid.put(hidden ? "·" : "■", row: r.row, col: col, fg: hidden ? .dim : TermColor(schema.classes[c].color!))
            col = grid.put(name + "  ", row: r.row, col: col, fg: hidden ? .dim : .terminalDefault)
        }
        let alpha = "opacity \(Int((state.alpha * 100).rounded()))%"
        if state.disagreementMap && state.hasPair {
            // Long names when they fit, else the short ones.
            let kinds = Overlay.Disagreement.allCases.filter { $0.color != nil }
            let long = kinds.map { $0.name.replacingOccurrences(of: " A", with: " " + state.sources[state.pair.a])
                .replacingOccurrences(of: " B", with: " " + state.sources[state.pair.b]) }
            let shortNames = kinds.map { kind -> String in
                switch kind {
                case .missed: "only A"
                case .extra: "only B"
                case .confused: "other org"
                default: "cell/bg"
                }
            }
            let room = r.width - alpha.count - 2 - col
            let names = long.reduce(0) { $0 + $1.count + 3 } <= room ? long : shortNames
            for (kind, name) in zip(kinds, names) where col + name.count + 3 <= r.width - alpha.count - 2 {
                col = grid.put("■", row: r.row, col: col, fg: TermColor(kind.color!))
                col = grid.put(name + "  ", row: r.row, col: col, fg: .dim)
            }
        }
        if col + alpha.count < r.width { grid.put(alpha, row: r.row, col: r.width - alpha.count - 1, fg: .dim) }
    }

    // MARK: Footer: job progress, then the last notice, then key hints.

    private func drawFooter(_ r: Rect, state: ViewState, data: FrameData) {
        grid.fill(r, with: Cell(" ", bg: .barBackground))
        let bg = TermColor.barBackground
        var col = r.col + 1
        if let job = state.job {
            let label = job.cancelling ? "cancelling" : "ensemble (\(job.kind.title))"
            col = grid.put(label + " ", row: r.row, col: col, fg: .warning, bg: bg, attrs: .bold)
            let pct = String(format: "%3d%%", Int(job.fraction * 100))
            let eta = job.etaSeconds.map { " ETA " + Format.duration($0) } ?? ""
            let barWidth = max(5, min(30, r.width / 5))
            let filled = Int(job.fraction * Double(barWidth))
            col = grid.put(String(repeating: "█", count: filled), row: r.row, col: col, fg: .good, bg: bg)
            col = grid.put(String(repeating: "░", count: barWidth - filled), row: r.row, col: col, fg: .dim, bg: bg)
            col = grid.put(" \(pct)\(eta)  c cancel  ", row: r.row, col: col, fg: .white, bg: bg)
        }
        if let p = data.statistics.passProgress, state.job == nil {
            // The background pass: volume metrics and the n/N ranking are ready when it is.
            col = grid.put("volume \(p.done * 100 / max(1, p.total))% ", row: r.row, col: col, fg: .dim, bg: bg)
        }
        let room = max(0, r.col + r.width - 16 - col)
        if let notice = state.notice {
            col = grid.put(Format.fit(notice, room - 2) + "  ", row: r.row, col: col, fg: .accent, bg: bg, attrs: .bold)
        } else if let line = ReviewOverlay.regionLine(state, width: room - 2) {
            col = grid.put(Format.fit(line, room - 2) + "  ", row: r.row, col: col, fg: .warning, bg: bg, attrs: .bold)
        } else if let status = state.status, state.job == nil {
            col = grid.put(Format.fit(status, room - 2) + "  ", row: r.row, col: col, fg: .warning, bg: bg)
        }
        // The way to the help and out is always visible, at the right end.
        let always = "? help  q quit "
        let hints = state.regionMode ? ReviewOverlay.reviewHints
            : "j/k \(state.plane.normalName)  o/O planes  ←↑↓→ pan  +/- zoom  Tab pair  d diff  n/N worst  r review  m metrics  v scope  i/I infer  e png"
        let end = r.col + r.width - always.count
        if col < end - 8 {
            grid.put(Format.fit(hints, end - col - 2), row: r.row, col: col, fg: .dim, bg: bg)
        }
        grid.put(always, row: r.row, col: end, fg: .white, bg: bg)
    }

    // MARK: Help overlay

    /// The help box, centred on the screen.
    static func helpBox(_ state: ViewState) -> Rect {
        let lines = KeyMap.help
        let keyWidth = lines.map { $0.0.count }.max()! + 2
        let width = min(state.terminal.cols - 2, max(44, keyWidth + lines.map { $0.1.count }.max()! + 4))
        let height = min(state.terminal.rows - 2, lines.count + 4)
        let top = max(0, (state.terminal.rows - height) / 2), left = max(0, (state.terminal.cols - width) / 2)
        return Rect(row: top, col: left, width: width, height: height)
    }

    /// Boxes drawn over the panes (the help overlay): images beneath them are taken away.
    static func overlayBoxes(_ state: ViewState) -> [Rect] {
        guard !Layout(state).tooSmall else { return [] }
        return (state.helpVisible ? [helpBox(state)] : []) + (state.reviewList.map { [ReviewOverlay.listBox($0, state: state)] } ?? [])
    }

    private func drawHelp(_ state: ViewState) {
        let lines = KeyMap.help
        let keyWidth = lines.map { $0.0.count }.max()! + 2
        let box = Self.helpBox(state)
        let top = box.row, left = box.col, width = box.width, height = box.height
        let bg = TermColor(0x1C, 0x1C, 0x1C)
        grid.fillFramed(box, frame: .accent, bg: bg)
        grid.put(" keys ", row: top, col: left + 2, fg: .accent, bg: bg, attrs: .bold)
        for (i, (key, what)) in lines.enumerated() where 2 + i < height - 1 {
            let y = top + 2 + i
            guard y < top + height - 1 else { break }
            grid.put(Format.pad(key, keyWidth), row: y, col: left + 2, fg: .warning, bg: bg, attrs: .bold)
            grid.put(Format.fit(what, width - keyWidth - 4), row: y, col: left + 2 + keyWidth, fg: .white, bg: bg)
        }
        grid.put(" ? or Esc closes ", row: top + height - 1, col: left + width - 19, fg: .dim, bg: bg)
    }
}
