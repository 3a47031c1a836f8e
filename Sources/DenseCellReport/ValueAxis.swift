import Foundation

/// A vertical value axis with round ticks and light grid lines across the plot.
struct ValueAxis {
    var ticks: [Double]
    var top: Double, bottom: Double, left: Double, right: Double
    var format: (Double) -> String
    var title: String

    var maximum: Double { ticks.last ?? 1 }

    /// The y coordinate of value `v`.
    func y(_ v: Double) -> Double { bottom - (bottom - top) * max(0, v) / maximum }

    /// Width the tick labels need.
    static func labelWidth(_ ticks: [Double], _ format: (Double) -> String) -> Double {
        ticks.map { ChartStyle.textWidth(format($0)) }.max() ?? 0
    }

    func grid() -> String {
        ticks.dropFirst().map { v in
            Markup.element("line", [("x1", Markup.number(left)), ("y1", Markup.number(y(v))), ("x2", Markup.number(right)),
                                    ("y2", Markup.number(y(v))), ("stroke", ChartStyle.grid), ("stroke-width", "1")])
        }.joined()
    }

    func markup() -> String {
        var s = Markup.element("line", [("x1", Markup.number(left)), ("y1", Markup.number(top)), ("x2", Markup.number(left)),
                                        ("y2", Markup.number(bottom)), ("stroke", ChartStyle.ink)])
        for v in ticks {
            s += Markup.element("line", [("class", "tick"), ("x1", Markup.number(left - 5)), ("y1", Markup.number(y(v))),
                                         ("x2", Markup.number(left)), ("y2", Markup.number(y(v))), ("stroke", ChartStyle.ink)])
            s += Markup.text("text", [("class", "tick-label"), ("x", Markup.number(left - 8)), ("y", Markup.number(y(v) + 4)),
                                      ("text-anchor", "end")], format(v))
        }
        s += Markup.text("text", [("class", "axis-title"), ("x", "0"), ("y", "0"), ("text-anchor", "middle"), ("font-weight", "bold"),
                                  ("transform", "translate(18,\(Markup.number((top + bottom) / 2))) rotate(-90)")], title)
        return Markup.element("g", [("class", "axis y-axis")], s)
    }
}
