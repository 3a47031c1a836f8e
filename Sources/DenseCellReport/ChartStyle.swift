import DenseCellCore
import Foundation

/// Colors, type sizes and axis arithmetic shared by the report's charts.
enum ChartStyle {
    /// Font stack of every chart's text.
    static let font = "DejaVu Sans, Helvetica, Arial, sans-serif"
    /// Color of text, axes and ticks.
    static let ink = "#1E1E1E"
    /// Color of grid lines.
    static let grid = "#D9D9D9"
    /// Fill of cells with no value.
    static let missing = "#EDEDED"
    /// Body text size in SVG user units (pixels at 100 %).
    static let fontSize = 12.0
    /// Chart title size in SVG user units.
    static let titleSize = 14.0

    /// Colors of sources and compared pairs (Okabe & Ito's palette: distinct for colour-blind
    /// readers and in grey-scale print).
    static let series = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// The color of the `i`-th series, cycling through `series`.
    static func seriesColor(_ i: Int) -> String { series[i % series.count] }

    /// A class's color from the schema; classes that are not painted (background) are grey.
    static func classColor(_ schema: LabelSchema, _ j: Int) -> String {
        j < schema.count ? schema.classes[j].color?.hex ?? "#8C8C8C" : "#8C8C8C"
    }

    /// Viridis at nine stops: perceptually even and monotone in lightness, so heat maps read
    /// the same in colour and in grey-scale print.
    static let viridis: [(Double, Double, Double)] = [
        (68, 1, 84), (71, 45, 123), (59, 82, 139), (44, 114, 142), (33, 145, 140),
        (39, 173, 129), (92, 200, 99), (170, 220, 50), (253, 231, 37),
    ]

    /// The heat-map color of `v` in 0…1.
    static func heat(_ v: Double) -> RGB {
        let t = max(0, min(1, v.isFinite ? v : 0)) * Double(viridis.count - 1)
        let i = min(Int(t), viridis.count - 2), f = t - Double(i)
        let a = viridis[i], b = viridis[i + 1]
        func mix(_ x: Double, _ y: Double) -> UInt8 { UInt8((x + (y - x) * f).rounded()) }
        return RGB(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    /// Black or white, whichever reads better on `background`.
    static func textColor(on background: RGB) -> String {
        let luminance = 0.2126 * Double(background.r) + 0.7152 * Double(background.g) + 0.0722 * Double(background.b)
        return luminance > 140 ? "#000000" : "#FFFFFF"
    }

    /// Approximate width of `text` at `size` (no font metrics at hand: 0.6 em per character
    /// is generous for DejaVu Sans, so labels are never clipped).
    static func textWidth(_ text: String, size: Double = fontSize) -> Double { Double(text.count) * size * 0.6 }

    /// Tick values covering 0…`maximum` at a round step (1, 2 or 5 × 10ⁿ), about `count` of them.
    static func ticks(upTo maximum: Double, count: Int = 5) -> [Double] {
        let top = maximum > 0 && maximum.isFinite ? maximum : 1
        let raw = top / Double(max(1, count))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        let n = Int((top / step).rounded(.up))
        return (0...n).map { (Double($0) * step * 1e9).rounded() / 1e9 }
    }

    /// A tick label with as many decimals as the step needs.
    static func tickLabel(_ v: Double, step: Double) -> String {
        let decimals = step >= 1 ? 0 : Int((-log10(step)).rounded(.up))
        return String(format: "%.\(decimals)f", v)
    }

    /// The `<svg>` root of a chart: a title line, a description for screen readers, the body.
    static func document(width: Double, height: Double, title: String, description: String, body: String) -> String {
        let attributes: Markup.Attributes = [
            ("xmlns", "http://www.w3.org/2000/svg"), ("version", "1.1"),
            ("width", Markup.number(width)), ("height", Markup.number(height)),
            ("viewBox", "0 0 \(Markup.number(width)) \(Markup.number(height))"),
            ("font-family", font), ("font-size", Markup.number(fontSize)), ("fill", ink),
        ]
        let heading = Markup.text("text", [("class", "chart-title"), ("x", "12"), ("y", "20"),
                                           ("font-size", Markup.number(titleSize)), ("font-weight", "bold")], title)
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + Markup.element("svg", attributes,
                             Markup.text("title", [], title) + Markup.text("desc", [], description)
                             + Markup.element("rect", [("x", "0"), ("y", "0"), ("width", Markup.number(width)),
                                                       ("height", Markup.number(height)), ("fill", "#FFFFFF")])
                             + heading + body) + "\n"
    }
}

/// One entry of a chart legend.
struct LegendItem: Sendable {
    /// How an entry is drawn: a filled square, a line, or a dashed line (a reference).
    enum Mark: Sendable { case swatch, line, dashedLine }
    /// The entry's text.
    var label: String
    /// The entry's color as `#RRGGBB`.
    var color: String
    /// How the entry's mark is drawn.
    var mark: Mark
    /// An entry named `label`, drawn in `color`.
    init(_ label: String, color: String, mark: Mark = .swatch) { self.label = label; self.color = color; self.mark = mark }
}

enum LegendBlock {
    /// A legend drawn top-down from (x, y); returns the markup and its height.
    static func vertical(_ items: [LegendItem], x: Double, y: Double, title: String?) -> (String, Double) {
        var s = ""
        var cy = y
        if let title {
            s += Markup.text("text", [("class", "legend-title"), ("x", Markup.number(x)), ("y", Markup.number(cy + 10)),
                                      ("font-weight", "bold")], title)
            cy += 18
        }
        for item in items {
            switch item.mark {
            case .swatch:
                s += Markup.element("rect", [("x", Markup.number(x)), ("y", Markup.number(cy)), ("width", "12"), ("height", "12"),
                                             ("fill", item.color), ("stroke", "#6E6E6E"), ("stroke-width", "0.5")])
            case .line, .dashedLine:
                var a: Markup.Attributes = [("x1", Markup.number(x)), ("y1", Markup.number(cy + 6)), ("x2", Markup.number(x + 18)),
                                            ("y2", Markup.number(cy + 6)), ("stroke", item.color), ("stroke-width", "2")]
                if item.mark == .dashedLine { a.append(("stroke-dasharray", "5 3")) }
                s += Markup.element("line", a)
            }
            s += Markup.text("text", [("x", Markup.number(x + 24)), ("y", Markup.number(cy + 10.5))], item.label)
            cy += 18
        }
        return (Markup.element("g", [("class", "legend")], s), cy - y)
    }

    static func width(_ items: [LegendItem], title: String?) -> Double {
        max(title.map { ChartStyle.textWidth($0) } ?? 0, items.map { 24 + ChartStyle.textWidth($0.label) }.max() ?? 0)
    }
}
