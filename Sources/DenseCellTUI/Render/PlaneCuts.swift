import DenseCellCore

/// Where the other two planes cut a pane in the three-plane layout (`O`): a pixel row (the plane
/// whose normal runs down the rows) and a pixel column (the one whose normal runs across), in the
/// pane's screen pixels, each in its plane's color — the same color as that plane's pane title.
/// Shared by the half-block panes and the pixel panes.
struct PlaneCuts {
    /// Pane pixel row of the cut, nil when off the pane.
    var row: Int?
    /// Pane pixel column of the cut, nil when off the pane.
    var column: Int?
    var rowColor: RGB
    var columnColor: RGB

    init(_ axis: PlaneAxis, state: ViewState, origin: (y: Double, x: Double), zoom: (row: Double, column: Double)) {
        let c = state.cursor(in: axis)
        let py = Int(((Double(c.y) + 0.5 - origin.y) * zoom.row).rounded(.down))
        let px = Int(((Double(c.x) + 0.5 - origin.x) * zoom.column).rounded(.down))
        row = py >= 0 ? py : nil
        column = px >= 0 ? px : nil
        rowColor = Self.color(PlaneAxis.allCases.first { $0.normal == axis.rowAxis }!)
        columnColor = Self.color(PlaneAxis.allCases.first { $0.normal == axis.columnAxis }!)
    }

    /// Each plane's color: its pane title and its cut lines in the other panes.
    static func color(_ axis: PlaneAxis) -> RGB {
        switch axis {
        case .xy: RGB(0x4F, 0xC3, 0xF7)
        case .xz: RGB(0xFF, 0xB7, 0x4D)
        case .yz: RGB(0xE0, 0x6C, 0xF0)
        }
    }

    /// A pixel under a cut line: mostly the line's color, a little of the image left to see through.
    static func tint(_ under: RGB, _ line: RGB) -> RGB {
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Int(a) * 3 + Int(b) * 7) / 10) }
        return RGB(mix(under.r, line.r), mix(under.g, line.g), mix(under.b, line.b))
    }

    static func tint(_ under: TermColor, _ line: RGB) -> TermColor { TermColor(tint(under.rgb, line)) }
}
