import DenseCellCore

/// What the review loop adds to the screen: the current region's outline in every image pane,
/// its line in the footer, the note prompt and the list of review items.
enum ReviewOverlay {
    static let outlineColor = TermColor(0xFF, 0xEB, 0x3B)

    /// The review region to outline in the plane of `axis` through the cursor, if it crosses it.
    static func outlinedRegion(_ state: ViewState, axis: PlaneAxis = .xy) -> DisagreementRegion? {
        guard state.regionMode, let region = state.regionQueue?.current, state.regionQueue?.pair == state.pair,
              axis.ranges(region.box).normal.contains(state.index(axis)) else { return nil }
        return region
    }

    /// Outlines the region's bounding box one image pixel outside it, in every half-block image
    /// pane whose plane crosses it (pixel panes draw it into their raster).
    static func drawOutline(_ state: ViewState, layout: Layout, grid: inout ScreenGrid) {
        for pane in layout.panes {
            guard let region = outlinedRegion(state, axis: pane.axis) else { continue }
            let box = pane.axis.ranges(region.box)
            let zoom = layout.zoom(state), rowZoom = layout.rowZoom(state, pane.axis)
            let rect = pane.pixels
            let o = layout.origin(state, pane: pane)
            // Screen pixel rows/columns of the box edges (just outside the box).
            let top = Int(((Double(box.rows.lowerBound) - o.y) * rowZoom).rounded(.down)) - 1
            let bottom = Int(((Double(box.rows.upperBound) - o.y) * rowZoom).rounded(.up))
            let left = Int(((Double(box.columns.lowerBound) - o.x) * zoom).rounded(.down)) - 1
            let right = Int(((Double(box.columns.upperBound) - o.x) * zoom).rounded(.up))
            func mark(_ py: Int, _ px: Int) {
                guard py >= 0, px >= 0, px < rect.width, py < rect.height * 2 else { return }
                let row = rect.row + py / 2, col = rect.col + px
                var cell = grid[row, col]
                guard cell.char == Cell.upperHalf else { return }
                if py % 2 == 0 { cell.fg = outlineColor } else { cell.bg = outlineColor }
                grid[row, col] = cell
            }
            for px in left...max(left, right) { mark(top, px); mark(bottom, px) }
            for py in top...max(top, bottom) { mark(py, left); mark(py, right) }
        }
    }

    /// `region 3/412: A alpha granule vs B cell · 1,240 voxels · z 12–15`, and the decision if any.
    /// Class names are shortened when the long line does not fit `width`.
    static func regionLine(_ state: ViewState, width: Int = .max) -> String? {
        guard state.regionMode, let q = state.regionQueue, q.pair == state.pair, let r = q.current else { return nil }
        let m = r.mainPair
        func line(short: Bool) -> String {
            func name(_ c: UInt8) -> String {
                guard Int(c) < state.classNames.count else { return "class \(c)" }
                return short ? Format.shortName(state.classNames[Int(c)]) : state.classNames[Int(c)]
            }
            var text = "region \(r.id)/\(q.regions.count): A \(name(m.a)) vs B \(name(m.b)) · \(NumberText.grouped(r.voxels)) \(short ? "vox" : "voxels") · z \(r.box.z.lowerBound)–\(r.box.z.upperBound - 1)"
            if let take = q.decided[r.id] { text += " · decided: \(take.rawValue)" }
            return text
        }
        let long = line(short: false)
        return long.count <= width ? long : line(short: true)
    }

    static let reviewHints = "a/b take A/B  E ensemble  x neither  u undo  n/N region  f flag  F list  r off"

    /// The note prompt in the footer row.
    static func drawPrompt(_ prompt: NotePrompt, in r: Rect, grid: inout ScreenGrid) {
        grid.fill(r, with: Cell(" ", bg: .barBackground))
        let bg = TermColor.barBackground
        let hint = "  Enter saves · Esc cancels "
        var col = grid.put(" flag (\(prompt.at.map(String.init).joined(separator: ","))) note: ", row: r.row, col: r.col,
                           fg: .warning, bg: bg, attrs: .bold)
        let room = max(1, r.col + r.width - hint.count - col - 1)
        // Keep the end of a long note in view, where the typing happens.
        let shown = prompt.text.count > room - 1 ? "…" + prompt.text.suffix(room - 2) : prompt.text
        col = grid.put(shown, row: r.row, col: col, fg: .white, bg: bg)
        col = grid.put("█", row: r.row, col: col, fg: .accent, bg: bg)
        if col + hint.count <= r.col + r.width { grid.put(hint, row: r.row, col: r.col + r.width - hint.count, fg: .dim, bg: bg) }
    }

    /// Where the `F` list goes: centred, as wide as its longest item allows.
    static func listBox(_ list: ReviewList, state: ViewState) -> Rect {
        let cols = state.terminal.cols, rows = state.terminal.rows
        let width = min(cols - 2, max(50, (list.items.map { $0.summary.count }.max() ?? 0) + 6))
        let height = min(rows - 2, list.items.count + 4)
        return Rect(row: max(0, (rows - height) / 2), col: max(0, (cols - width) / 2), width: width, height: height)
    }

    /// The `F` list: items newest first, the selected one highlighted.
    static func drawList(_ list: ReviewList, state: ViewState, grid: inout ScreenGrid) {
        let box = listBox(list, state: state)
        let top = box.row, left = box.col, width = box.width, height = box.height
        let bg = TermColor(0x1C, 0x1C, 0x1C)
        grid.fillFramed(box, frame: .accent, bg: bg)
        grid.put(" review items (\(list.items.count)), newest first ", row: top, col: left + 2, fg: .accent, bg: bg, attrs: .bold)
        let visible = max(1, height - 4)
        let first = min(max(0, list.selection - visible + 1), max(0, list.items.count - visible))
        for (k, item) in list.items.dropFirst(first).prefix(visible).enumerated() {
            let selected = first + k == list.selection
            grid.put(Format.pad(Format.fit(" " + item.summary, width - 4), width - 4), row: top + 2 + k, col: left + 2,
                     fg: selected ? TermColor(0, 0, 0) : .white, bg: selected ? .warning : bg, attrs: selected ? .bold : [])
        }
        grid.put(" j/k move · Enter jumps · Esc closes ", row: top + height - 1, col: left + 2, fg: .dim, bg: bg)
    }
}
