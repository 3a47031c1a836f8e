import DenseCellCore

/// Paints image panes with upper half blocks: two image rows per cell. Zoomed out, each screen
/// pixel averages up to 4×4 evenly spread image pixels; zoomed in, image pixels are replicated.
/// Colors come from per-gray lookup tables built with `Overlay`, so they match PNG export.
final class PaneRenderer {
    static let outside = TermColor(0x12, 0x12, 0x12)

    private var tableKey: (alpha: Double, hidden: Set<Int>, classes: Int)? = nil
    /// (class * 256 + gray) → packed RGB of the overlay.
    private var blendTable: [UInt32] = []
    /// (kind * 256 + gray) → packed RGB of the disagreement map.
    private var disagreementTable: [UInt32] = []
    /// (a * classes + b) → disagreement kind.
    private var kindTable: [UInt8] = []
    // Sample positions, reused between frames.
    private var xs: [Int32] = []
    private var ys: [Int32] = []

    private func prepareTables(alpha: Double, hidden: Set<Int>, schema: LabelSchema) {
        if let k = tableKey, k.alpha == alpha, k.hidden == hidden, k.classes == schema.count { return }
        let n = schema.count
        blendTable = [UInt32](repeating: 0, count: 256 * 256)
        for c in 0..<256 {
            for g in 0..<256 {
                let rgb = c < n ? Overlay.blend(gray: UInt8(g), label: UInt8(c), schema: schema, alpha: alpha, hidden: hidden)
                                : RGB(UInt8(g), UInt8(g), UInt8(g))
                blendTable[c * 256 + g] = TermColor(rgb).packed
            }
        }
        let organelles = Set(schema.organelles)
        disagreementTable = [UInt32](repeating: 0, count: Overlay.Disagreement.allCases.count * 256)
        kindTable = [UInt8](repeating: 0, count: n * n)
        for a in 0..<n {
            for b in 0..<n {
                kindTable[a * n + b] = UInt8(Overlay.disagreement(UInt8(a), UInt8(b), organelles: organelles).rawValue)
            }
        }
        // Representative label pairs for each kind, to color through the shared function.
        for kind in Overlay.Disagreement.allCases {
            guard let pair = (0..<(n * n)).first(where: { Int(kindTable[$0]) == kind.rawValue }) else { continue }
            for g in 0..<256 {
                let rgb = Overlay.disagreementPixel(gray: UInt8(g), a: UInt8(pair / n), b: UInt8(pair % n), organelles: organelles)
                disagreementTable[kind.rawValue * 256 + g] = TermColor(rgb).packed
            }
        }
        tableKey = (alpha, hidden, n)
    }

    /// Sample positions along one axis: `k` per screen pixel, -1 outside the image.
    private static func samples(into out: inout [Int32], count: Int, origin: Double, zoom: Double, k: Int, limit: Int) {
        out.removeAll(keepingCapacity: true)
        for p in 0..<count {
            for j in 0..<k {
                let v = (origin + (Double(p) + (Double(j) + 0.5) / Double(k)) / zoom).rounded(.down)
                out.append(v >= 0 && v < Double(limit) ? Int32(v) : -1)
            }
        }
    }

    func draw(_ pane: PaneLayout, layout: Layout, state: ViewState, data: FrameData, grid: inout ScreenGrid) {
        let rect = pane.pixels
        guard rect.width > 0, rect.height > 0 else { return }
        let schema = data.schema
        prepareTables(alpha: state.alpha, hidden: state.hiddenClasses, schema: schema)
        let axis = pane.axis, planeIndex = state.index(axis)
        let zoom = layout.zoom(state), rowZoom = layout.rowZoom(state, axis)
        let origin = layout.origin(state, pane: pane)
        // Zoomed out, the pyramid level whose pixels are closest to (not smaller than) a screen
        // pixel; sampling then works in that level's pixels.
        let level = data.level(forZoom: zoom, kind: pane.kind, axis: axis)
        let scale = Double(1 << level)
        let levelZoom = zoom * scale, levelRowZoom = rowZoom * scale
        let levelOrigin = (y: origin.y / scale, x: origin.x / scale)
        let k = min(levelZoom, levelRowZoom) >= 1 ? 1 : min(4, Int((1 / min(levelZoom, levelRowZoom)).rounded(.up)))
        let classes = schema.count
        // What to read per sample.
        var mode = 0                       // 0 image, 1 overlay, 2 disagreement
        var planes: [Plane?] = [data.gray(axis, planeIndex, level: level)]
        var hasMaskA = false, hasMaskB = false
        func add(_ s: Int) -> Bool {
            let src = data.sources[s]
            planes.append(data.plane(src.labels, axis, planeIndex, level: level))
            if let m = src.mask { planes.append(data.plane(m, axis, planeIndex, level: level)) }
            return src.mask != nil
        }
        switch pane.kind {
        case .image: break
        case .source(let s):
            mode = 1
            if let i = data.sourceIndex(state.sources[s]) { hasMaskA = add(i) } else { planes.append(nil) }
        case .disagreement(let p):
            mode = 2
            if let a = data.sourceIndex(state.sources[p.a]), let b = data.sourceIndex(state.sources[p.b]) {
                hasMaskA = add(a); hasMaskB = add(b)
            } else { planes.append(nil) }
        }
        guard let gray = planes[0], planes.allSatisfy({ $0 != nil }) else {
            drawWaiting(rect, what: "\(axis.normalName) \(planeIndex)", failed: data.planeFailed(0, axis, planeIndex, level: level), grid: &grid)
            return
        }
        let width = gray.width, height = gray.height
        Self.samples(into: &xs, count: rect.width, origin: levelOrigin.x, zoom: levelZoom, k: k, limit: width)
        Self.samples(into: &ys, count: rect.height * 2, origin: levelOrigin.y, zoom: levelRowZoom, k: k, limit: height)
        let g = gray.bytes
        var index = 1
        func next() -> [UInt8] { defer { index += 1 }; return planes[index]!.bytes }
        var la: [UInt8] = [], lb: [UInt8] = [], ma: [UInt8]? = nil, mb: [UInt8]? = nil
        if mode >= 1 { la = next(); if hasMaskA { ma = next() } }
        if mode == 2 { lb = next(); if hasMaskB { mb = next() } }
        let base = 0
        let emptyMask: [UInt8] = []
        let maskA = ma ?? emptyMask, maskB = mb ?? emptyMask

        g.withUnsafeBufferPointer { g in
        la.withUnsafeBufferPointer { pa in
        lb.withUnsafeBufferPointer { pb in
        maskA.withUnsafeBufferPointer { qa in
        maskB.withUnsafeBufferPointer { qb in
        blendTable.withUnsafeBufferPointer { blend in
        disagreementTable.withUnsafeBufferPointer { dis in
        kindTable.withUnsafeBufferPointer { kinds in
        xs.withUnsafeBufferPointer { sx in
        ys.withUnsafeBufferPointer { sy in
        grid.cells.withUnsafeMutableBufferPointer { cells in
            @inline(__always) func color(_ i: Int) -> UInt32 {
                let gv = g[i]
                switch mode {
                case 0:
                    return UInt32(gv) * 0x010101
                case 1:
                    if hasMaskA && qa[base + i] == 0 { return UInt32(gv) * 0x010101 }
                    return blend[Int(pa[base + i]) << 8 | Int(gv)]
                default:
                    let a = Int(pa[base + i]), b = Int(pb[base + i])
                    var kind = a < classes && b < classes ? Int(kinds[a * classes + b]) : 0
                    if (hasMaskA && qa[base + i] == 0) || (hasMaskB && qb[base + i] == 0) { kind = 0 }
                    return dis[kind << 8 | Int(gv)]
                }
            }
            @inline(__always) func kind(_ i: Int) -> Int {
                let a = Int(pa[base + i]), b = Int(pb[base + i])
                if (hasMaskA && qa[base + i] == 0) || (hasMaskB && qb[base + i] == 0) { return 0 }
                return a < classes && b < classes ? Int(kinds[a * classes + b]) : 0
            }
            // Zoomed out, a disagreement map keeps disagreements visible: a block reads all its
            // pixels and tints its mean gray towards its main kind of disagreement (organelle
            // errors before cell-boundary ones) with four times the share it covers, so thin
            // errors still show without every shifted cell border painting the whole map.
            @inline(__always) func disagreementBlock(_ py: Int, _ px: Int) -> UInt32 {
                let y0 = max(0, Int((levelOrigin.y + Double(py) / levelRowZoom).rounded(.down)))
                let y1 = min(height, max(y0 + 1, Int((levelOrigin.y + Double(py + 1) / levelRowZoom).rounded(.down))))
                let x0 = max(0, Int((levelOrigin.x + Double(px) / levelZoom).rounded(.down)))
                let x1 = min(width, max(x0 + 1, Int((levelOrigin.x + Double(px + 1) / levelZoom).rounded(.down))))
                var graySum = 0, n = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0
                if y0 < y1 && x0 < x1 {
                    for y in y0..<y1 {
                        let row = y * width
                        for x in x0..<x1 {
                            let v = row + x
                            graySum += Int(g[v]); n += 1
                            switch kind(v) { case 1: c1 += 1; case 2: c2 += 1; case 3: c3 += 1; case 4: c4 += 1; default: break }
                        }
                    }
                }
                if n == 0 { return PaneRenderer.outside.packed }
                var best = 0, bestCount = 0
                if c1 > bestCount { best = 1; bestCount = c1 }
                if c2 > bestCount { best = 2; bestCount = c2 }
                if c3 > bestCount { best = 3; bestCount = c3 }
                if bestCount == 0 && c4 > 0 { best = 4; bestCount = c4 }
                let gray = (graySum + n / 2) / n
                let base = dis[gray], top = dis[best << 8 | gray]
                if best == 0 { return base }
                let s = min(256, 4 * 256 * bestCount / n)      // strength in 1/256
                @inline(__always) func channel(_ shift: UInt32) -> UInt32 {
                    let a = Int(base >> shift & 0xFF), b = Int(top >> shift & 0xFF)
                    return UInt32(a + (b - a) * s / 256) << shift
                }
                return channel(16) | channel(8) | channel(0)
            }
            @inline(__always) func pixel(_ py: Int, _ px: Int) -> UInt32 {
                if k == 1 {
                    let y = sy[py], x = sx[px]
                    if y < 0 || x < 0 { return PaneRenderer.outside.packed }
                    return color(Int(y) * width + Int(x))
                }
                if mode == 2 { return disagreementBlock(py, px) }
                var r = 0, gg = 0, b = 0, n = 0
                for j in 0..<k {
                    let y = sy[py * k + j]
                    if y < 0 { continue }
                    let row = Int(y) * width
                    for i in 0..<k {
                        let x = sx[px * k + i]
                        if x < 0 { continue }
                        let c = color(row + Int(x))
                        r += Int(c >> 16); gg += Int(c >> 8 & 0xFF); b += Int(c & 0xFF); n += 1
                    }
                }
                if n == 0 { return PaneRenderer.outside.packed }
                let h = n / 2
                return UInt32((r + h) / n) << 16 | UInt32((gg + h) / n) << 8 | UInt32((b + h) / n)
            }
            let gridWidth = grid.width
            for row in 0..<rect.height {
                let rowBase = (rect.row + row) * gridWidth + rect.col
                for col in 0..<rect.width {
                    cells[rowBase + col] = Cell(Cell.upperHalf, fg: TermColor(packed: pixel(row * 2, col)),
                                                bg: TermColor(packed: pixel(row * 2 + 1, col)))
                }
            }
        }}}}}}}}}}}
        if state.threePlanes { drawCuts(rect, pane: pane, origin: origin, state: state, layout: layout, grid: &grid) }
        drawCursor(rect, origin: origin, zoom: (rowZoom, zoom), cursor: state.cursor(in: axis), grid: &grid)
    }

    /// With three planes: where the other two planes cut this one, as thin lines through the
    /// cursor (a row of the plane and a column), tinted so the image stays readable.
    private func drawCuts(_ rect: Rect, pane: PaneLayout, origin: (y: Double, x: Double), state: ViewState, layout: Layout, grid: inout ScreenGrid) {
        let cut = PlaneCuts(pane.axis, state: state, origin: origin, zoom: (layout.rowZoom(state, pane.axis), layout.zoom(state)))
        if let py = cut.row {
            // A half-block row: tint the top or bottom half of the cells it crosses.
            let row = rect.row + py / 2
            if row >= rect.row && row < rect.row + rect.height {
                for col in rect.col..<(rect.col + rect.width) {
                    var cell = grid[row, col]
                    if py % 2 == 0 { cell.fg = PlaneCuts.tint(cell.fg, cut.rowColor) } else { cell.bg = PlaneCuts.tint(cell.bg, cut.rowColor) }
                    grid[row, col] = cell
                }
            }
        }
        if let px = cut.column, px >= 0, px < rect.width {
            for row in rect.row..<(rect.row + rect.height) {
                var cell = grid[row, rect.col + px]
                cell.fg = PlaneCuts.tint(cell.fg, cut.columnColor); cell.bg = PlaneCuts.tint(cell.bg, cut.columnColor)
                grid[row, rect.col + px] = cell
            }
        }
    }

    /// A pane whose planes are still being read: the dark surround and a short word.
    private func drawWaiting(_ rect: Rect, what: String, failed: Bool, grid: inout ScreenGrid) {
        for row in rect.row..<(rect.row + rect.height) {
            for col in rect.col..<(rect.col + rect.width) { grid[row, col] = Cell(" ", fg: .white, bg: Self.outside) }
        }
        let text = failed ? "cannot read \(what)" : "reading \(what)…"
        let row = rect.row + rect.height / 2
        let col = rect.col + max(0, (rect.width - text.count) / 2)
        grid.put(String(text.prefix(rect.width)), row: row, col: col, fg: failed ? .warning : .dim, bg: Self.outside)
    }

    /// Marks the cursor's cell with a `+` in a color that stands out from what is under it.
    private func drawCursor(_ rect: Rect, origin: (y: Double, x: Double), zoom: (row: Double, column: Double), cursor: PixelPoint, grid: inout ScreenGrid) {
        let py = Int(((Double(cursor.y) + 0.5 - origin.y) * zoom.row).rounded(.down))
        let px = Int(((Double(cursor.x) + 0.5 - origin.x) * zoom.column).rounded(.down))
        let row = rect.row + py / 2, col = rect.col + px
        guard py >= 0, px >= 0, rect.contains(row: row, col: col) else { return }
        let cell = grid[row, col]
        let top = cell.fg.rgb, bottom = cell.bg.rgb
        let mean = RGB(UInt8((Int(top.r) + Int(bottom.r)) / 2), UInt8((Int(top.g) + Int(bottom.g)) / 2), UInt8((Int(top.b) + Int(bottom.b)) / 2))
        let light = 299 * Int(mean.r) + 587 * Int(mean.g) + 114 * Int(mean.b) > 128_000
        grid[row, col] = Cell("+", fg: light ? TermColor(0, 0, 0) : TermColor(0xFF, 0xFF, 0xFF), bg: TermColor(mean), attrs: .bold)
    }
}
