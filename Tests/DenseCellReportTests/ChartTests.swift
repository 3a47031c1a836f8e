import XCTest
import DenseCellCore
import TestSupport
@testable import DenseCellReport

final class ChartTests: XCTestCase {
    func testTicksAreRoundAndCoverTheMaximum() {
        XCTAssertEqual(ChartStyle.ticks(upTo: 1, count: 5), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(ChartStyle.ticks(upTo: 14.1, count: 5), [0, 5, 10, 15])
        XCTAssertEqual(ChartStyle.ticks(upTo: 0.37, count: 5), [0, 0.1, 0.2, 0.3, 0.4])
        XCTAssertEqual(ChartStyle.tickLabel(0.2, step: 0.2), "0.2")
        XCTAssertEqual(ChartStyle.tickLabel(15, step: 5), "15")
        XCTAssertEqual(ReportNumber.count(1234567), "1,234,567")
        XCTAssertEqual(ReportNumber.count(999), "999")
        XCTAssertEqual(ReportNumber.percent(0.13591), "13.59%")
        XCTAssertEqual(ReportNumber.score(nil), "n/a")
        XCTAssertEqual(Markup.escape("a<b & \"c\"'"), "a&lt;b &amp; &quot;c&quot;&apos;")
    }

    /// Parses a chart and checks the parts every chart must have.
    func parseChart(_ svg: String, file: StaticString = #filePath, line: UInt = #line) throws -> MarkupNode {
        let root = try MarkupNode.parse(Data(svg.utf8))
        XCTAssertEqual(root.name, "svg", file: file, line: line)
        let groups = root.all.filter { $0.name == "g" }.map { $0.classes() }
        XCTAssertTrue(groups.contains { $0.contains("x-axis") }, "no x axis", file: file, line: line)
        XCTAssertTrue(groups.contains { $0.contains("y-axis") }, "no y axis", file: file, line: line)
        XCTAssertTrue(groups.contains { $0.contains("legend") }, "no legend", file: file, line: line)
        XCTAssertFalse(root.all.contains { $0.name == "script" }, file: file, line: line)
        return root
    }

    func testBarHeightsAreProportionalToTheirValues() throws {
        let values: [[Double?]] = [[0.2, 0.5], [nil, 0.9]]
        let chart = BarChart(title: "t & <b>", description: "d", groups: ["g1", "g2"], xAxisTitle: "x", yAxisTitle: "y",
                             series: [LegendItem("s1", color: "#112233"), LegendItem("s2", color: "#445566")], values: values,
                             barTags: values.map { $0.map { ReportNumber.tag("v", ReportNumber.exact($0)) } }, yMaximum: 1,
                             yFormat: { String(format: "%.1f", $0) })
        let root = try parseChart(chart.svg())
        let bars = root.all.filter { $0.classes().contains("bar") }
        XCTAssertEqual(bars.count, 3)   // the undefined value has no bar
        let bottom = bars.map { Double($0.attributes["y"]!)! + Double($0.attributes["height"]!)! }
        XCTAssertEqual(Set(bottom.map { ($0 * 100).rounded() }).count, 1, "bars share a baseline")
        let perUnit = bars.map { Double($0.attributes["height"]!)! / Double($0.attributes["data-value"]!)! }
        for p in perUnit { XCTAssertEqual(p, perUnit[0], accuracy: 0.05) }
        let ticks = root.all.filter { $0.classes().contains("tick-label") }.map(\.text)
        XCTAssertTrue(ticks.contains("1.0") && ticks.contains("0.0"), "\(ticks)")
        XCTAssertEqual(root.all.first { $0.classes().contains("chart-title") }?.text, "t & <b>")
    }

    func testHeatMapPrintsEachCellAndColorsByValue() throws {
        let values: [[Double?]] = [[1, 0.25], [0.25, nil]]
        let chart = HeatMapChart(title: "m", description: "d", rowLabels: ["a", "b"], columnLabels: ["a", "b"],
                                 rowAxisTitle: "rows", columnAxisTitle: "columns", values: values,
                                 cellText: values.map { $0.map(ReportNumber.score) },
                                 cellTags: values.map { $0.map { ReportNumber.tag("m", ReportNumber.exact($0)) } },
                                 legendTitle: "MIoU", legendFormat: { String(format: "%.2f", $0) })
        let root = try parseChart(chart.svg())
        let cells = root.all.filter { $0.attributes["data-metric"] == "m" }
        XCTAssertEqual(cells.map(\.text), ["1.000", "0.250", "0.250", "n/a"])
        let rects = root.all.first { $0.classes().contains("cells") }!.children.filter { $0.name == "rect" }
        XCTAssertEqual(rects.map { $0.attributes["fill"]! }, [ChartStyle.heat(1).hex, ChartStyle.heat(0.25).hex,
                                                                ChartStyle.heat(0.25).hex, ChartStyle.missing])
        // Viridis runs dark to light: text switches from white to black.
        XCTAssertEqual(ChartStyle.textColor(on: ChartStyle.heat(0)), "#FFFFFF")
        XCTAssertEqual(ChartStyle.textColor(on: ChartStyle.heat(1)), "#000000")
    }

    func testLineChartPlacesPointsOnItsAxes() throws {
        let chart = LineChart(title: "sweep", description: "d", xAxisTitle: "t", yAxisTitle: "MIoU",
                              xTicks: [0, 0.5, 1], xFormat: { String($0) }, yTicks: [0, 0.5, 1], yFormat: { String($0) },
                              series: [.init(legend: LegendItem("p", color: "#000000", mark: .line),
                                             points: [(0, 0), (0.5, 0.5), (1, nil)], pointTags: [[], [], []])],
                              references: [.init(legend: LegendItem("ref", color: "#FF0000", mark: .dashedLine), value: 1, tags: [])])
        let root = try parseChart(chart.svg())
        let points = root.all.filter { $0.classes().contains("point") }
        XCTAssertEqual(points.count, 2)
        let x = points.map { Double($0.attributes["cx"]!)! }, y = points.map { Double($0.attributes["cy"]!)! }
        let reference = try XCTUnwrap(root.all.first { $0.classes().contains("reference") })
        // The value-1 reference sits at the top, (0, 0) at the bottom-left: 0.5 is half way on both axes.
        let top = Double(reference.attributes["y1"]!)!
        XCTAssertEqual((y[0] - y[1]) * 2, y[0] - top, accuracy: 0.02)
        XCTAssertEqual(Double(reference.attributes["x1"]!)!, x[0], accuracy: 0.01)
        XCTAssertEqual(root.all.filter { $0.classes().contains("legend") }.first?.fullText.contains("ref"), true)
    }
}
