import DenseCellCore

extension PaneKind {
    /// The figure pane (as `export` names it) that shows the same thing.
    func figurePane(_ state: ViewState) -> Pane {
        switch self {
        case .image: .image
        case .source(let i): .labels(state.sources[i])
        case .disagreement(let p): .disagreement(state.sources[p.a], state.sources[p.b])
        }
    }
}

/// A pane at its full pixel size, for the image protocols: the export's raster
/// (`PanelRaster`) of the visible part of the slice, resized as `export --scale` resizes it to
/// the screen pixels that part covers, on the viewer's dark surround, with the cursor marked.
enum PaneImage {
    static let surround = PaneRenderer.outside.rgb
    /// The cursor's two inks, black or white against what is under it.
    static let cursorInks = (dark: RGB(0, 0, 0), light: RGB(255, 255, 255))
    /// Colours the viewer draws itself (surround, cursor, review outline): sixel keeps them exactly.
    static let marks = [surround, cursorInks.dark, cursorInks.light, ReviewOverlay.outlineColor.rgb]

    /// - Returns: the raster of `pane`, `Layout.pixelSize` large.
    static func render(_ pane: PaneLayout, layout: Layout, state: ViewState, data: FrameData) -> RGBCanvas {
        renderWithSlice(pane, layout: layout, state: state, data: data).canvas
    }

    /// - Returns: the raster of `pane` and the part of it the slice covers (nil when none).
    static func renderWithSlice(_ pane: PaneLayout, layout: Layout, state: ViewState, data: FrameData) -> (canvas: RGBCanvas, slice: PixelRect?) {
        let size = layout.pixelSize(state, pane: pane)
        var canvas = RGBCanvas(width: max(1, size.width), height: max(1, size.height), fill: surround)
        let axis = pane.axis
        let zoom = layout.zoom(state), rowZoom = layout.rowZoom(state, axis), o = layout.origin(state, pane: pane)
        // The planes of the pyramid level drawn (level 0 zoomed in), in that level's pixels.
        let level = data.level(forZoom: zoom, kind: pane.kind, axis: axis)
        let scale = Double(1 << level), lz = zoom * scale, lzRow = rowZoom * scale
        let lo = (y: o.y / scale, x: o.x / scale)
        let figure = pane.kind.figurePane(state)
        guard let study = data.planeStudy(axis, state.index(axis), level: level, names: figure.sourceNames) else { return (canvas, nil) }
        let shape = study.shape
        // Whole pixels that are at least partly visible, and where their edges land on screen.
        let y0 = max(0, Int(lo.y.rounded(.down))), x0 = max(0, Int(lo.x.rounded(.down)))
        let y1 = min(shape.y, Int((lo.y + Double(size.height) / lzRow).rounded(.up)))
        let x1 = min(shape.x, Int((lo.x + Double(size.width) / lz).rounded(.up)))
        guard y1 > y0, x1 > x0 else { return (canvas, nil) }
        let py0 = Int(((Double(y0) - lo.y) * lzRow).rounded()), py1 = Int(((Double(y1) - lo.y) * lzRow).rounded())
        let px0 = Int(((Double(x0) - lo.x) * lz).rounded()), px1 = Int(((Double(x1) - lo.x) * lz).rounded())
        guard py1 > py0, px1 > px0,
              let raster = try? PanelRaster.render(figure, study: study, z: 0, y: y0..<y1, x: x0..<x1,
                                                   window: (0, 255), alpha: state.alpha, hidden: state.hiddenClasses)
        else { return (canvas, nil) }
        canvas.paste(raster.resampled(width: px1 - px0, height: py1 - py0), x: px0, y: py0)
        if state.threePlanes {
            let cuts = PlaneCuts(axis, state: state, origin: o, zoom: (rowZoom, zoom))
            if let row = cuts.row, row < canvas.height {
                for x in 0..<canvas.width { canvas[x, row] = PlaneCuts.tint(canvas[x, row], cuts.rowColor) }
            }
            if let column = cuts.column, column < canvas.width {
                for y in 0..<canvas.height { canvas[column, y] = PlaneCuts.tint(canvas[column, y], cuts.columnColor) }
            }
        }
        let cursor = state.cursor(in: axis)
        markCursor(&canvas, at: (x: (Double(cursor.x) + 0.5 - o.x) * zoom, y: (Double(cursor.y) + 0.5 - o.y) * rowZoom))
        if let region = ReviewOverlay.outlinedRegion(state, axis: axis) {
            // The review region's box, one line just outside it.
            let box = axis.ranges(region.box)
            let left = Int(((Double(box.columns.lowerBound) - o.x) * zoom).rounded(.down)) - 1
            let right = Int(((Double(box.columns.upperBound) - o.x) * zoom).rounded(.up))
            let top = Int(((Double(box.rows.lowerBound) - o.y) * rowZoom).rounded(.down)) - 1
            let bottom = Int(((Double(box.rows.upperBound) - o.y) * rowZoom).rounded(.up))
            let ink = ReviewOverlay.outlineColor.rgb
            func line(_ r: PixelRect) {
                let x0 = max(0, r.x), y0 = max(0, r.y), x1 = min(canvas.width, r.x + r.width), y1 = min(canvas.height, r.y + r.height)
                if x1 > x0 && y1 > y0 { canvas.fill(PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0), with: ink) }
            }
            line(PixelRect(x: left, y: top, width: right - left + 1, height: 1))
            line(PixelRect(x: left, y: bottom, width: right - left + 1, height: 1))
            line(PixelRect(x: left, y: top, width: 1, height: bottom - top + 1))
            line(PixelRect(x: right, y: top, width: 1, height: bottom - top + 1))
        }
        let sx0 = max(0, px0), sy0 = max(0, py0), sx1 = min(canvas.width, px1), sy1 = min(canvas.height, py1)
        return (canvas, sx1 > sx0 && sy1 > sy0 ? PixelRect(x: sx0, y: sy0, width: sx1 - sx0, height: sy1 - sy0) : nil)
    }

    /// The cursor as a small cross, black or white against what is under it, with a gap at its
    /// centre so the voxel itself stays visible.
    static func markCursor(_ canvas: inout RGBCanvas, at p: (x: Double, y: Double)) {
        let cx = Int(p.x.rounded(.down)), cy = Int(p.y.rounded(.down))
        guard cx >= 0, cy >= 0, cx < canvas.width, cy < canvas.height else { return }
        let under = canvas[cx, cy]
        let light = 299 * Int(under.r) + 587 * Int(under.g) + 114 * Int(under.b) > 128_000
        let ink = light ? cursorInks.dark : cursorInks.light
        for d in cursorGap...(cursorGap + cursorArm) {
            canvas.fill(PixelRect(x: cx - d, y: cy, width: 1, height: 1), with: ink)
            canvas.fill(PixelRect(x: cx + d, y: cy, width: 1, height: 1), with: ink)
            canvas.fill(PixelRect(x: cx, y: cy - d, width: 1, height: 1), with: ink)
            canvas.fill(PixelRect(x: cx, y: cy + d, width: 1, height: 1), with: ink)
        }
    }
    static let cursorGap = 2, cursorArm = 5

    /// The part `rect` of `canvas` (which must lie inside it).
    static func cropped(_ canvas: RGBCanvas, to rect: PixelRect) -> RGBCanvas {
        if rect.x == 0 && rect.y == 0 && rect.width == canvas.width && rect.height == canvas.height { return canvas }
        var pixels = [UInt8]()
        pixels.reserveCapacity(rect.width * rect.height * 3)
        for y in rect.y..<rect.maxY {
            let start = 3 * (y * canvas.width + rect.x)
            pixels += canvas.pixels[start..<(start + 3 * rect.width)]
        }
        return RGBCanvas(width: rect.width, height: rect.height, pixels: pixels)
    }
}
