import Foundation

/// Grouped vertical bars: per-class IoU of the compared pairs, organelle volume fractions per
/// source (the paper's Fig. 3, row 4).
struct BarChart {
    /// The title line above the chart (also the SVG `<title>`).
    var title: String
    /// A sentence for screen readers (the SVG `<desc>`).
    var description: String
    /// Categories along the x axis.
    var groups: [String]
    /// Title under the group labels.
    var xAxisTitle: String
    /// Title of the value axis.
    var yAxisTitle: String
    /// The bars of each group, one per series, named and colored by the legend.
    var series: [LegendItem]
    /// `values[group][series]`; nil bars are left out (undefined values).
    var values: [[Double?]]
    /// Attributes of each bar (the exact value behind it).
    var barTags: [[Markup.Attributes]]
    /// Fixed top of the value axis (nil: a round number above the largest value).
    var yMaximum: Double?
    /// Tick labels of the value axis when `yMaximum` is fixed (else ticks print their step's decimals).
    var yFormat: (Double) -> String

    /// A chart of `values`; `barTags` has the shape of `values`.
    init(title: String, description: String, groups: [String], xAxisTitle: String, yAxisTitle: String,
                series: [LegendItem], values: [[Double?]], barTags: [[Markup.Attributes]], yMaximum: Double? = nil,
                yFormat: @escaping (Double) -> String) {
        self.title = title; self.description = description; self.groups = groups; self.xAxisTitle = xAxisTitle
        self.yAxisTitle = yAxisTitle; self.series = series; self.values = values; self.barTags = barTags
        self.yMaximum = yMaximum; self.yFormat = yFormat
    }

    /// The chart as a standalone SVG document.
    func svg() -> String {
        let largest = values.joined().compactMap { $0 }.max() ?? 0
        let ticks = ChartStyle.ticks(upTo: yMaximum ?? max(largest, 1e-9), count: 5)
        let step = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        let format: (Double) -> String = yMaximum == nil ? { ChartStyle.tickLabel($0, step: step) } : yFormat
        let left = 12 + 18 + ValueAxis.labelWidth(ticks, format) + 12
        // Bars as wide as a plot of about 480 units allows, between 8 and 22 units.
        let bar = max(8, min(22, (480 / Double(max(1, groups.count)) - 18) / Double(max(1, series.count))))
        let groupWidth = Double(series.count) * bar + 18
        let plotWidth = max(240, Double(groups.count) * groupWidth)
        let angle = 30.0 * Double.pi / 180
        let labelHeight = (groups.map { ChartStyle.textWidth($0) }.max() ?? 0) * sin(angle) + 14
        let top = 40.0, plotHeight = 240.0
        let legendX = left + plotWidth + 24
        let width = max(legendX + LegendBlock.width(series, title: nil) + 12,
                        12 + ChartStyle.textWidth(title, size: ChartStyle.titleSize) + 12)
        let height = top + plotHeight + labelHeight + 36
        let axis = ValueAxis(ticks: ticks, top: top, bottom: top + plotHeight, left: left, right: left + plotWidth,
                             format: format, title: yAxisTitle)
        var body = axis.grid()
        var bars = ""
        let groupStep = plotWidth / Double(max(1, groups.count))
        for (g, _) in groups.enumerated() {
            let start = left + Double(g) * groupStep + (groupStep - Double(series.count) * bar) / 2
            for (s, item) in series.enumerated() {
                guard let v = values[g][s] else { continue }
                let y = axis.y(v)
                bars += Markup.element("rect", [("class", "bar"), ("x", Markup.number(start + Double(s) * bar)), ("y", Markup.number(y)),
                                                ("width", Markup.number(bar - 2)), ("height", Markup.number(axis.bottom - y)),
                                                ("fill", item.color), ("stroke", "#4D4D4D"), ("stroke-width", "0.5")] + barTags[g][s])
            }
        }
        body += Markup.element("g", [("class", "bars")], bars)
        body += axis.markup()
        var xAxis = Markup.element("line", [("x1", Markup.number(left)), ("y1", Markup.number(axis.bottom)),
                                            ("x2", Markup.number(left + plotWidth)), ("y2", Markup.number(axis.bottom)),
                                            ("stroke", ChartStyle.ink)])
        for (g, label) in groups.enumerated() {
            let x = left + (Double(g) + 0.5) * groupStep, y = axis.bottom + 14
            xAxis += Markup.element("line", [("class", "tick"), ("x1", Markup.number(x)), ("y1", Markup.number(axis.bottom)),
                                             ("x2", Markup.number(x)), ("y2", Markup.number(axis.bottom + 5)), ("stroke", ChartStyle.ink)])
            xAxis += Markup.text("text", [("class", "tick-label"), ("x", Markup.number(x)), ("y", Markup.number(y)), ("text-anchor", "end"),
                                          ("transform", "rotate(-30 \(Markup.number(x)) \(Markup.number(y)))")], label)
        }
        xAxis += Markup.text("text", [("class", "axis-title"), ("x", Markup.number(left + plotWidth / 2)),
                                      ("y", Markup.number(axis.bottom + labelHeight + 22)), ("text-anchor", "middle"),
                                      ("font-weight", "bold")], xAxisTitle)
        body += Markup.element("g", [("class", "axis x-axis")], xAxis)
        body += LegendBlock.vertical(series, x: legendX, y: top, title: nil).0
        return ChartStyle.document(width: width, height: height, title: title, description: description, body: body)
    }
}
