import DenseCellCore

/// What an image pane shows.
enum PaneKind: Hashable, Sendable {
    case image
    case source(Int)
    case disagreement(SourcePair)
}

/// One image pane: its title row and its pixel area.
public struct PaneLayout: Hashable, Sendable {
    var kind: PaneKind
    /// The plane it shows (the cursor's plane of that orientation).
    var axis: PlaneAxis = .xy
    /// Title row.
    var title: Rect
    /// The pixel area: `ViewState.cellPixels` screen pixels per cell (two rows per cell with half blocks).
    public var pixels: Rect
}

/// Where everything goes on a screen of the state's size; pure, so tests and the mouse agree.
public struct Layout: Equatable, Sendable {
    var header: Rect
    /// The image panes, left to right.
    public var panes: [PaneLayout]
    var legend: Rect
    var metrics: Rect
    var footer: Rect
    /// The zoom that fits the whole slice into a pane.
    var fitZoom: Double
    var tooSmall: Bool

    static let minimumSize = (cols: 40, rows: 14)
    /// Narrowest pane worth drawing, in columns.
    static let minimumPaneWidth = 24
    /// Tab line, column header, seven class rows and a summary row.
    static let minimumMetricsHeight = 10

    /// Lays out a screen of `state.terminal`'s size for what `state` shows.
    public init(_ state: ViewState) {
        let cols = state.terminal.cols, rows = state.terminal.rows
        header = Rect(row: 0, col: 0, width: cols, height: 1)
        footer = Rect(row: rows - 1, col: 0, width: cols, height: 1)
        tooSmall = cols < Self.minimumSize.cols || rows < Self.minimumSize.rows
        let kinds = Layout.paneKinds(state)
        let axes = Layout.paneAxes(state, count: kinds.count)
        let cell = state.cellPixels
        // The rows the metrics tables need (tab line, column header, a row per class or source,
        // a summary); every other row goes to the images.
        let classRows = max(state.classNames.count, state.sources.count + 1)
        let metricsNeeded = state.metricsTab == .small ? 2 : max(Self.minimumMetricsHeight, classRows + 3)
        // The largest plane extent the panes show, in voxels across and in column-voxels down
        // (rows stretched to the study's aspect).
        let extent = (
            x: Double(Set(axes).map { $0.size(state.shape).columns }.max() ?? 1),
            y: Set(axes).map { Double($0.size(state.shape).rows) * $0.rowStretch(resolution: state.resolution) }.max() ?? 1)
        typealias Arrangement = (zoom: Double, count: Int, perRow: Int, width: Int, imageRows: Int)
        // Panes in one or more rows inside an area, each arrangement with the zoom that fits the slice.
        func arrangements(cols areaCols: Int, rows areaRows: Int) -> [Arrangement] {
            let widest = max(1, min(kinds.count, (areaCols + 1) / (Self.minimumPaneWidth + 1)))
            // One row of 3…widest panes (the image and the pair at least), or every pane in two or three rows.
            var candidates: [(rows: Int, count: Int)] = (min(3, widest)...widest).map { (1, $0) }
            candidates += [(2, kinds.count), (3, kinds.count)]
            var result: [Arrangement] = []
            for (paneRows, count) in candidates {
                let perRow = (count + paneRows - 1) / paneRows
                guard perRow <= widest, (paneRows - 1) * perRow < count || paneRows == 1 else { continue }
                let width = max(1, (areaCols - (perRow - 1)) / perRow)
                let imageRowsMax = (areaRows / paneRows) - 1
                guard imageRowsMax >= 2 || paneRows == 1 else { continue }
                let zoom = min(Double(width * cell.width) / extent.x, Double(cell.height * max(1, imageRowsMax)) / extent.y)
                let rowsNeeded = min(max(1, imageRowsMax), max(1, Int((extent.y * zoom / Double(cell.height)).rounded(.up))))
                result.append((zoom, count, perRow, width, rowsNeeded))
            }
            return result
        }
        // Every pane when that keeps the slice at least 60 % of the largest zoom on offer;
        // otherwise trade panes for zoom (magnifying past 1:1 adds nothing); then the largest zoom.
        func best(_ options: [Arrangement]) -> Arrangement? {
            let largest = options.map(\.zoom).max() ?? 1
            func score(_ a: Arrangement) -> Double { min(a.zoom, 1) * (1 + 0.4 * Double(a.count - 1)) }
            let complete = options.filter { $0.count == kinds.count && $0.zoom >= 0.6 * min(largest, 1) }
            let pool = complete.isEmpty ? options : complete
            return pool.max { (score($0), $0.zoom) < (score($1), $1.zoom) }
        }
        // Below the panes, the metrics take the rows the panes leave; on a wide terminal they may
        // stand beside the panes instead, when that shows the slices clearly larger.
        let below = best(arrangements(cols: cols, rows: max(2, rows - 3 - metricsNeeded)))
        let sideWidth = min(84, max(60, cols * 2 / 5))
        var beside: Arrangement? = nil
        if cols >= Self.metricsBesideMinimumCols, kinds.count > 1 {
            beside = best(arrangements(cols: cols - sideWidth - 1, rows: rows - 3))
            if let b = beside, let l = below, b.count < l.count || b.zoom < l.zoom * 1.05 { beside = nil }
        }
        let chosen = beside ?? below ?? (1, 1, 1, cols, 1)
        // Real pixels enlarge by whole factors: every voxel the same size on screen, and no
        // bytes spent on pixels that only repeat their neighbours.
        fitZoom = state.graphics.isPixels && chosen.zoom >= 1 ? chosen.zoom.rounded(.down) : chosen.zoom
        let paneTop = 1
        let paneHeight = chosen.imageRows + 1
        panes = kinds.prefix(chosen.count).enumerated().map { i, kind in
            let col = (i % chosen.perRow) * (chosen.width + 1)
            let row = paneTop + (i / chosen.perRow) * paneHeight
            return PaneLayout(kind: kind, axis: axes[i], title: Rect(row: row, col: col, width: chosen.width, height: 1),
                              pixels: Rect(row: row + 1, col: col, width: chosen.width, height: chosen.imageRows))
        }
        let paneRowsUsed = (chosen.count + chosen.perRow - 1) / chosen.perRow
        if beside != nil {
            let panesWidth = cols - sideWidth - 1
            legend = Rect(row: paneTop + paneRowsUsed * paneHeight, col: 0, width: panesWidth, height: 1)
            metrics = Rect(row: 1, col: panesWidth + 1, width: sideWidth, height: rows - 2)
        } else {
            legend = Rect(row: paneTop + paneRowsUsed * paneHeight, col: 0, width: cols, height: 1)
            let metricsTop = legend.row + 1
            metrics = Rect(row: metricsTop, col: 0, width: cols, height: max(0, rows - 1 - metricsTop))
        }
    }

    /// Narrowest terminal on which the metrics may stand beside the panes.
    static let metricsBesideMinimumCols = 180

    /// Panes in order of importance: the image, the disagreement map, the compared pair, the rest;
    /// with three planes, source A (or the image) three times.
    static func paneKinds(_ state: ViewState) -> [PaneKind] {
        if state.threePlanes {
            let kind: PaneKind = state.sources.isEmpty ? .image : .source(state.pair.a)
            return [kind, kind, kind]
        }
        var kinds: [PaneKind] = [.image]
        if state.hasPair && state.disagreementMap { kinds.append(.disagreement(state.pair)) }
        var order: [Int] = []
        if !state.sources.isEmpty {
            order.append(state.pair.a)
            if state.pair.b != state.pair.a { order.append(state.pair.b) }
        }
        for i in state.sources.indices where !order.contains(i) { order.append(i) }
        kinds += order.map { .source($0) }
        return kinds
    }

    /// The plane of each pane: every pane the state's plane, or xy, xz, yz with three planes.
    static func paneAxes(_ state: ViewState, count: Int) -> [PlaneAxis] {
        state.threePlanes ? Array(PlaneAxis.allCases.prefix(count)) : Array(repeating: state.plane, count: count)
    }

    /// The zoom in effect: screen pixels per voxel across the columns.
    func zoom(_ state: ViewState) -> Double { state.zoom ?? fitZoom }

    /// Screen pixels per voxel down the rows of a pane showing `axis` (the zoom times the
    /// voxels' aspect, so that a 50 nm z step is drawn 2.5 times a 20 nm x step).
    func rowZoom(_ state: ViewState, _ axis: PlaneAxis) -> Double { zoom(state) * axis.rowStretch(resolution: state.resolution) }

    /// The pane that shows the plane `j`/`k` move (the first pane unless three planes are shown).
    func activePane(_ state: ViewState) -> PaneLayout? { panes.first { $0.axis == state.plane } ?? panes.first }

    /// A pane's size in screen pixels.
    func pixelSize(_ state: ViewState, pane: PaneLayout) -> (width: Int, height: Int) {
        (pane.pixels.width * state.cellPixels.width, pane.pixels.height * state.cellPixels.height)
    }

    /// Maps pane pixels to plane coordinates: the row of pixel row `py` is
    /// `origin.y + py / rowZoom`, the column of pixel column `px` is `origin.x + px / zoom`.
    func origin(_ state: ViewState, pane: PaneLayout) -> (y: Double, x: Double) {
        let center = state.zoom == nil ? state.middle(pane.axis) : state.center(in: pane.axis)
        let size = pixelSize(state, pane: pane)
        return (center.y - Double(size.height) / (2 * rowZoom(state, pane.axis)), center.x - Double(size.width) / (2 * zoom(state)))
    }

    /// The part of the volume visible in the pane of the state's plane: the plane through the
    /// cursor, clamped to the volume.
    func visibleRegion(_ state: ViewState) -> Box3? {
        guard let pane = activePane(state) else { return nil }
        let axis = pane.axis, size = axis.size(state.shape)
        let o = origin(state, pane: pane), zx = zoom(state), zy = rowZoom(state, axis)
        let y0 = max(0, Int(o.y.rounded(.down))), x0 = max(0, Int(o.x.rounded(.down)))
        let pixels = pixelSize(state, pane: pane)
        let y1 = min(size.rows, Int((o.y + Double(pixels.height) / zy).rounded(.up)))
        let x1 = min(size.columns, Int((o.x + Double(pixels.width) / zx).rounded(.up)))
        guard y1 > y0, x1 > x0 else { return nil }
        var ranges = [0..<1, 0..<1, 0..<1]
        ranges[axis.rowAxis] = y0..<y1; ranges[axis.columnAxis] = x0..<x1
        let i = state.index(axis)
        ranges[axis.normal] = i..<(i + 1)
        return Box3(z: ranges[0], y: ranges[1], x: ranges[2])
    }

    /// The plane position under a screen cell (its upper half block, or its middle with pixel
    /// graphics), in the terms of the plane the pane there shows.
    func planePoint(_ state: ViewState, row: Int, col: Int) -> (axis: PlaneAxis, point: PixelPoint)? {
        guard let pane = panes.first(where: { $0.pixels.contains(row: row, col: col) }) else { return nil }
        let o = origin(state, pane: pane), zx = zoom(state), zy = rowZoom(state, pane.axis), cell = state.cellPixels
        let inCell = (y: state.graphics.isPixels ? Double(cell.height) / 2 : 0.5, x: Double(cell.width) / 2)
        let y = Int((o.y + (Double((row - pane.pixels.row) * cell.height) + inCell.y) / zy).rounded(.down))
        let x = Int((o.x + (Double((col - pane.pixels.col) * cell.width) + inCell.x) / zx).rounded(.down))
        let size = pane.axis.size(state.shape)
        guard y >= 0, y < size.rows, x >= 0, x < size.columns else { return nil }
        return (pane.axis, PixelPoint(y: y, x: x))
    }

}
