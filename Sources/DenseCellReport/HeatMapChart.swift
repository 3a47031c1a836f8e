import DenseCellCore
import Foundation

/// A matrix of values in 0…1 drawn as colored cells with their numbers printed in them: the
/// pairwise MIoU matrices and the row-normalized confusion matrices (the paper's Fig. S4).
struct HeatMapChart {
    /// The title line above the chart (also the SVG `<title>`).
    var title: String
    /// A sentence for screen readers (the SVG `<desc>`).
    var description: String
    /// Labels of the rows, top to bottom.
    var rowLabels: [String]
    /// Labels of the columns, left to right.
    var columnLabels: [String]
    /// Colors drawn as small squares beside the row labels (class colors), nil for none.
    var labelSwatches: [String?]? = nil
    /// Title of the row axis.
    var rowAxisTitle: String
    /// Title of the column axis.
    var columnAxisTitle: String
    /// Cell values on the color scale 0…1; nil cells are grey and read "n/a".
    var values: [[Double?]]
    /// The text printed in each cell.
    var cellText: [[String]]
    /// Attributes of each cell's text (the exact value behind it).
    var cellTags: [[Markup.Attributes]]
    /// Title above the color bar.
    var legendTitle: String
    /// The color bar's tick labels at 0, 0.25, …, 1.
    var legendFormat: (Double) -> String

    /// A chart of `values`; every per-cell array has the shape of `values`.
    init(title: String, description: String, rowLabels: [String], columnLabels: [String],
                labelSwatches: [String?]? = nil, rowAxisTitle: String, columnAxisTitle: String,
                values: [[Double?]], cellText: [[String]], cellTags: [[Markup.Attributes]],
                legendTitle: String, legendFormat: @escaping (Double) -> String) {
        self.title = title; self.description = description; self.rowLabels = rowLabels; self.columnLabels = columnLabels
        self.labelSwatches = labelSwatches; self.rowAxisTitle = rowAxisTitle; self.columnAxisTitle = columnAxisTitle
        self.values = values; self.cellText = cellText; self.cellTags = cellTags
        self.legendTitle = legendTitle; self.legendFormat = legendFormat
    }

    /// The chart as a standalone SVG document.
    func svg() -> String {
        let rows = rowLabels.count, columns = columnLabels.count
        let cell = rows <= 4 && columns <= 4 ? 72.0 : 50.0
        let swatch = labelSwatches == nil ? 0.0 : 16.0
        let angle = 40.0 * Double.pi / 180
        let rowLabelWidth = (rowLabels.map { ChartStyle.textWidth($0) }.max() ?? 0) + swatch
        let columnLabelWidth = columnLabels.map { ChartStyle.textWidth($0) }.max() ?? 0
        let columnLabelHeight = columnLabelWidth * sin(angle) + ChartStyle.fontSize * cos(angle) + 10
        let left = max(12 + 18 + rowLabelWidth + 10, columnLabelWidth * cos(angle) - cell / 2 + 12)
        let top = 52.0
        let plotWidth = Double(columns) * cell, plotHeight = Double(rows) * cell
        let barX = left + plotWidth + 28
        let legendLabelWidth = ChartStyle.textWidth(legendFormat(0.5))
        let width = max(barX + 14 + 8 + legendLabelWidth + 12, barX + ChartStyle.textWidth(legendTitle) + 12,
                        12 + ChartStyle.textWidth(title, size: ChartStyle.titleSize) + 12)
        let height = top + plotHeight + 6 + columnLabelHeight + 24
        var body = ""

        // Cells and their numbers.
        var cells = ""
        for r in 0..<rows {
            for c in 0..<columns {
                let x = left + Double(c) * cell, y = top + Double(r) * cell
                let value = values[r][c]
                let fill = value.map { ChartStyle.heat($0) }
                cells += Markup.element("rect", [("x", Markup.number(x)), ("y", Markup.number(y)), ("width", Markup.number(cell)),
                                                 ("height", Markup.number(cell)), ("fill", fill?.hex ?? ChartStyle.missing),
                                                 ("stroke", "#FFFFFF"), ("stroke-width", "1")])
                cells += Markup.text("text", [("x", Markup.number(x + cell / 2)), ("y", Markup.number(y + cell / 2 + 4)),
                                              ("text-anchor", "middle"),
                                              ("fill", fill.map(ChartStyle.textColor(on:)) ?? ChartStyle.ink)] + cellTags[r][c],
                                     cellText[r][c])
            }
        }
        body += Markup.element("g", [("class", "cells")], cells)

        // Row axis (left) and column axis (bottom): a rule, a tick per category, labels, a title.
        var yAxis = Markup.element("line", [("x1", Markup.number(left)), ("y1", Markup.number(top)), ("x2", Markup.number(left)),
                                            ("y2", Markup.number(top + plotHeight)), ("stroke", ChartStyle.ink)])
        for (r, label) in rowLabels.enumerated() {
            let y = top + (Double(r) + 0.5) * cell
            yAxis += Markup.element("line", [("class", "tick"), ("x1", Markup.number(left - 5)), ("y1", Markup.number(y)),
                                             ("x2", Markup.number(left)), ("y2", Markup.number(y)), ("stroke", ChartStyle.ink)])
            yAxis += Markup.text("text", [("class", "tick-label"), ("x", Markup.number(left - 8 - swatch)), ("y", Markup.number(y + 4)),
                                          ("text-anchor", "end")], label)
            if let color = labelSwatches?[r] {
                yAxis += Markup.element("rect", [("x", Markup.number(left - 8 - 11)), ("y", Markup.number(y - 5.5)), ("width", "11"),
                                                 ("height", "11"), ("fill", color), ("stroke", "#6E6E6E"), ("stroke-width", "0.5")])
            }
        }
        yAxis += Markup.text("text", [("class", "axis-title"), ("x", "0"), ("y", "0"), ("text-anchor", "middle"), ("font-weight", "bold"),
                                      ("transform", "translate(\(Markup.number(18)),\(Markup.number(top + plotHeight / 2))) rotate(-90)")],
                             rowAxisTitle)
        body += Markup.element("g", [("class", "axis y-axis")], yAxis)

        let bottom = top + plotHeight
        var xAxis = Markup.element("line", [("x1", Markup.number(left)), ("y1", Markup.number(bottom)),
                                            ("x2", Markup.number(left + plotWidth)), ("y2", Markup.number(bottom)), ("stroke", ChartStyle.ink)])
        for (c, label) in columnLabels.enumerated() {
            let x = left + (Double(c) + 0.5) * cell
            xAxis += Markup.element("line", [("class", "tick"), ("x1", Markup.number(x)), ("y1", Markup.number(bottom)),
                                             ("x2", Markup.number(x)), ("y2", Markup.number(bottom + 5)), ("stroke", ChartStyle.ink)])
            let anchorY = bottom + 14
            xAxis += Markup.text("text", [("class", "tick-label"), ("x", Markup.number(x)), ("y", Markup.number(anchorY)),
                                          ("text-anchor", "end"),
                                          ("transform", "rotate(-40 \(Markup.number(x)) \(Markup.number(anchorY)))")], label)
        }
        xAxis += Markup.text("text", [("class", "axis-title"), ("x", Markup.number(left + plotWidth / 2)),
                                      ("y", Markup.number(bottom + columnLabelHeight + 16)), ("text-anchor", "middle"),
                                      ("font-weight", "bold")], columnAxisTitle)
        body += Markup.element("g", [("class", "axis x-axis")], xAxis)

        // Legend: the color bar with its scale.
        let stops = (0...8).map { i -> String in
            let v = Double(i) / 8
            return Markup.element("stop", [("offset", Markup.number(v)), ("stop-color", ChartStyle.heat(v).hex)])
        }.joined()
        var legend = Markup.element("defs", [], Markup.element("linearGradient", [("id", "heat-scale"), ("x1", "0"), ("y1", "1"),
                                                                                  ("x2", "0"), ("y2", "0")], stops))
        legend += Markup.text("text", [("class", "legend-title"), ("x", Markup.number(barX)), ("y", Markup.number(top - 10)),
                                       ("font-weight", "bold")], legendTitle)
        legend += Markup.element("rect", [("x", Markup.number(barX)), ("y", Markup.number(top)), ("width", "14"),
                                          ("height", Markup.number(plotHeight)), ("fill", "url(#heat-scale)"),
                                          ("stroke", "#6E6E6E"), ("stroke-width", "0.5")])
        for i in 0...4 {
            let v = Double(i) / 4, y = top + plotHeight * (1 - v)
            legend += Markup.element("line", [("class", "tick"), ("x1", Markup.number(barX + 14)), ("y1", Markup.number(y)),
                                              ("x2", Markup.number(barX + 18)), ("y2", Markup.number(y)), ("stroke", ChartStyle.ink)])
            legend += Markup.text("text", [("class", "tick-label"), ("x", Markup.number(barX + 21)), ("y", Markup.number(y + 4))],
                                  legendFormat(v))
        }
        body += Markup.element("g", [("class", "legend")], legend)
        return ChartStyle.document(width: width, height: height, title: title, description: description, body: body)
    }
}
