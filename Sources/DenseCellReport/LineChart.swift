import Foundation

/// Lines of points over a numeric x axis, with optional horizontal reference lines: the binary
/// threshold sweep (the paper's Fig. 4).
struct LineChart {
    /// One line: points joined in order, a marker on each defined point.
    struct Series {
        /// The series' name and color.
        var legend: LegendItem
        /// The points in x order; points with a nil y (undefined) get no marker and the line skips them.
        var points: [(x: Double, y: Double?)]
        /// Attributes of each point's marker (the exact value behind it).
        var pointTags: [Markup.Attributes]
        /// A series of `points`, with one attribute list per point in `pointTags`.
        init(legend: LegendItem, points: [(x: Double, y: Double?)], pointTags: [Markup.Attributes]) {
            self.legend = legend; self.points = points; self.pointTags = pointTags
        }
    }
    /// A dashed horizontal line at a fixed value (a score to compare against).
    struct Reference {
        /// The line's name and color.
        var legend: LegendItem
        /// The y value the line is drawn at.
        var value: Double
        /// Attributes of the line (the exact value behind it).
        var tags: Markup.Attributes
        /// A reference line at `value`.
        init(legend: LegendItem, value: Double, tags: Markup.Attributes) { self.legend = legend; self.value = value; self.tags = tags }
    }

    /// The title line above the chart (also the SVG `<title>`).
    var title: String
    /// A sentence for screen readers (the SVG `<desc>`).
    var description: String
    /// Title under the x axis.
    var xAxisTitle: String
    /// Title of the y axis.
    var yAxisTitle: String
    /// The x axis runs over `xTicks` (first to last), one tick each.
    var xTicks: [Double]
    /// Labels of the x ticks.
    var xFormat: (Double) -> String
    /// The y axis runs over `yTicks` (first to last), one grid line each.
    var yTicks: [Double]
    /// Labels of the y ticks.
    var yFormat: (Double) -> String
    /// The lines drawn.
    var series: [Series]
    /// The reference lines drawn under the series.
    var references: [Reference]

    /// A chart of `series` and `references` over the given ticks.
    init(title: String, description: String, xAxisTitle: String, yAxisTitle: String, xTicks: [Double],
                xFormat: @escaping (Double) -> String, yTicks: [Double], yFormat: @escaping (Double) -> String,
                series: [Series], references: [Reference]) {
        self.title = title; self.description = description; self.xAxisTitle = xAxisTitle; self.yAxisTitle = yAxisTitle
        self.xTicks = xTicks; self.xFormat = xFormat; self.yTicks = yTicks; self.yFormat = yFormat
        self.series = series; self.references = references
    }

    /// The chart as a standalone SVG document.
    func svg() -> String {
        let left = 12 + 18 + ValueAxis.labelWidth(yTicks, yFormat) + 12
        let top = 40.0, plotWidth = 420.0, plotHeight = 260.0
        let legendItems = series.map(\.legend) + references.map(\.legend)
        let legendX = left + plotWidth + 24
        let width = max(legendX + LegendBlock.width(legendItems, title: nil) + 12,
                        12 + ChartStyle.textWidth(title, size: ChartStyle.titleSize) + 12)
        let height = top + plotHeight + 56
        let axis = ValueAxis(ticks: yTicks, top: top, bottom: top + plotHeight, left: left, right: left + plotWidth,
                             format: yFormat, title: yAxisTitle)
        let x0 = xTicks.first ?? 0, x1 = xTicks.last ?? 1
        func x(_ v: Double) -> Double { left + plotWidth * (v - x0) / (x1 > x0 ? x1 - x0 : 1) }
        var body = axis.grid()
        var lines = ""
        for reference in references {
            lines += Markup.element("line", [("class", "reference"), ("x1", Markup.number(left)), ("y1", Markup.number(axis.y(reference.value))),
                                             ("x2", Markup.number(left + plotWidth)), ("y2", Markup.number(axis.y(reference.value))),
                                             ("stroke", reference.legend.color), ("stroke-width", "2"),
                                             ("stroke-dasharray", "5 3")] + reference.tags)
        }
        for s in series {
            let defined = s.points.compactMap { p in p.y.map { (x(p.x), axis.y($0)) } }
            if defined.count > 1 {
                lines += Markup.element("polyline", [("points", defined.map { "\(Markup.number($0.0)),\(Markup.number($0.1))" }.joined(separator: " ")),
                                                     ("fill", "none"), ("stroke", s.legend.color), ("stroke-width", "2")])
            }
            for (i, p) in s.points.enumerated() {
                guard let y = p.y else { continue }
                lines += Markup.element("circle", [("class", "point"), ("cx", Markup.number(x(p.x))), ("cy", Markup.number(axis.y(y))),
                                                   ("r", "3.5"), ("fill", s.legend.color)] + s.pointTags[i])
            }
        }
        body += Markup.element("g", [("class", "lines")], lines)
        body += axis.markup()
        var xAxis = Markup.element("line", [("x1", Markup.number(left)), ("y1", Markup.number(axis.bottom)),
                                            ("x2", Markup.number(left + plotWidth)), ("y2", Markup.number(axis.bottom)),
                                            ("stroke", ChartStyle.ink)])
        for t in xTicks {
            xAxis += Markup.element("line", [("class", "tick"), ("x1", Markup.number(x(t))), ("y1", Markup.number(axis.bottom)),
                                             ("x2", Markup.number(x(t))), ("y2", Markup.number(axis.bottom + 5)), ("stroke", ChartStyle.ink)])
            xAxis += Markup.text("text", [("class", "tick-label"), ("x", Markup.number(x(t))), ("y", Markup.number(axis.bottom + 18)),
                                          ("text-anchor", "middle")], xFormat(t))
        }
        xAxis += Markup.text("text", [("class", "axis-title"), ("x", Markup.number(left + plotWidth / 2)),
                                      ("y", Markup.number(axis.bottom + 40)), ("text-anchor", "middle"), ("font-weight", "bold")],
                             xAxisTitle)
        body += Markup.element("g", [("class", "axis x-axis")], xAxis)
        body += LegendBlock.vertical(legendItems, x: legendX, y: top, title: nil).0
        return ChartStyle.document(width: width, height: height, title: title, description: description, body: body)
    }
}
