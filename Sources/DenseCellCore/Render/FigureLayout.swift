/// Where everything of a figure goes, in figure pixels; computed before drawing so tests and
/// callers can find panels and legend entries.
public struct FigureLayout: Sendable {
    /// One panel: a pane of the study at the region of interest.
    public struct Panel: Sendable {
        /// What the panel shows.
        public var pane: Pane
        /// The title drawn above it.
        public var title: String
        /// Top-left of the title text (nil when titles are off).
        public var titleOrigin: (x: Int, y: Int)?
        /// The panel's pixels: the region of interest at `scale`.
        public var rect: PixelRect
    }

    /// One legend item: a swatch (or scale bar) and its text.
    public struct LegendEntry: Sendable {
        /// What a legend item explains.
        public enum Kind: Hashable, Sendable {
            /// A label class, by index in the schema.
            case labelClass(Int)
            /// A kind of disagreement between two sources.
            case disagreement(Overlay.Disagreement)
            /// A bar `nanometres` long at the panels' scale.
            case scaleBar(nanometres: Double)
        }
        /// What the item explains.
        public var kind: Kind
        /// The text next to the swatch.
        public var label: String
        /// The swatch color.
        public var color: RGB
        /// The color swatch (or the scale bar itself).
        public var swatch: PixelRect
        /// Top-left of the text.
        public var textOrigin: (x: Int, y: Int)
    }

    /// Figure width in pixels.
    public var width: Int
    /// Figure height in pixels.
    public var height: Int
    /// Figure pixels per font pixel, for all text.
    public var textScale: Int
    /// The heading above the panels, if any.
    public var heading: String?
    /// Top-left of the heading text (nil without a heading).
    public var headingOrigin: (x: Int, y: Int)?
    /// The panels, left to right.
    public var panels: [Panel]
    /// The legend entries, in drawing order.
    public var legend: [LegendEntry]
}

/// Composes figures for reports: panels side by side with titles, and a legend below.
public enum Figure {
    /// Background color of figures.
    public static let paper = RGB(255, 255, 255)
    /// Text color.
    public static let ink = RGB(0x1E, 0x1E, 0x1E)
    /// Color of the frames around panels and swatches.
    static let frameColor = RGB(0x9A, 0x9A, 0x9A)
    /// Largest panel side accepted (keeps a mistyped `--scale` from exhausting memory).
    static let maxPanelSide = 16_384

    /// Checks the request against the study and places every element.
    public static func layout(study: Study, panes: [Pane], options: FigureOptions,
                              font: BitmapFont) throws(FigureError) -> FigureLayout {
        guard !panes.isEmpty else { throw .noPanes }
        for pane in panes {
            for name in pane.sourceNames where study.source(named: name) == nil {
                throw .missingSource(name, available: study.labels.map(\.name))
            }
        }
        guard options.alpha.isFinite, options.alpha >= 0, options.alpha <= 1 else {
            throw .badOption("alpha must be between 0 and 1, not \(options.alpha)")
        }
        guard options.scale.isFinite, options.scale > 0 else {
            throw .badOption("scale must be a positive number, not \(options.scale)")
        }
        let (ry, rx) = try region(study.shape, options)
        let pw = max(1, Int((Double(rx.count) * options.scale).rounded()))
        // Rows are drawn at the voxels' aspect (an xz plane of 50 nm slices and 20 nm pixels is
        // stretched 2.5× down), so a figure shows shapes as they are.
        let stretch = study.resolutionNM.map { r in r.count == 3 && r[1] > 0 && r[2] > 0 ? r[1] / r[2] : 1 } ?? 1
        let ph = max(1, Int((Double(ry.count) * options.scale * stretch).rounded()))
        guard pw <= maxPanelSide, ph <= maxPanelSide else {
            throw .badOption("panels would be \(pw)×\(ph) pixels; the limit is \(maxPanelSide) (lower --scale or use --roi)")
        }
        guard panes.count * pw <= 4 * maxPanelSide else {
            throw .badOption("\(panes.count) panels of \(pw) pixels would make a figure too wide to write (lower --scale or show fewer panes)")
        }

        let ts = options.textScale
        let margin = 10 * ts, gap = 10 * ts, line = font.lineHeight(scale: ts)
        var y = margin
        var headingOrigin: (x: Int, y: Int)? = nil
        if let heading = options.heading, !heading.isEmpty {
            headingOrigin = (margin, y)
            y += line + 6 * ts
        }
        var titleY: Int? = nil
        if options.paneTitles { titleY = y; y += line + 3 * ts }
        var panels: [FigureLayout.Panel] = []
        for (i, pane) in panes.enumerated() {
            let x = margin + i * (pw + gap)
            panels.append(.init(pane: pane, title: font.truncated(pane.title, toWidth: pw, scale: ts, bold: ts > 1),
                                titleOrigin: titleY.map { (x, $0) }, rect: PixelRect(x: x, y: y, width: pw, height: ph)))
        }
        y += ph
        let panelsWidth = panes.count * pw + (panes.count - 1) * gap
        let headingWidth = options.heading.map { font.width(of: $0, scale: ts, bold: ts > 1) } ?? 0

        // Legend entries in sections; each section starts a new row.
        var sections: [[(FigureLayout.LegendEntry.Kind, String, RGB, Int)]] = []   // kind, label, color, swatch width
        let swatch = 9 * ts
        if options.legend {
            if panes.contains(where: { if case .labels = $0 { true } else { false } }) {
                var classes: [(FigureLayout.LegendEntry.Kind, String, RGB, Int)] = []
                for (c, cls) in study.schema.classes.enumerated() where !options.hiddenClasses.contains(c) {
                    if let color = cls.color { classes.append((.labelClass(c), cls.name, color, swatch)) }
                }
                if !classes.isEmpty { sections.append(classes) }
            }
            let diffs = panes.compactMap { pane -> (String, String)? in
                if case .disagreement(let a, let b) = pane { (a, b) } else { nil }
            }
            if !diffs.isEmpty {
                // One compared pair: name its sources; several: A is the first of each pair.
                let (nameA, nameB) = Set(diffs.map { "\($0.0)/\($0.1)" }).count == 1 ? diffs[0] : ("A", "B")
                sections.append(Overlay.Disagreement.allCases.compactMap { kind in
                    guard let color = kind.color else { return nil }
                    let label = kind.name.replacingOccurrences(of: " in A", with: " in \(nameA)")
                        .replacingOccurrences(of: " in B", with: " in \(nameB)")
                    return (.disagreement(kind), label, color, swatch)
                })
            }
            if let res = study.resolutionNM, res.count == 3, res[2] > 0,
               let bar = scaleBar(nmPerPixel: res[2] / options.scale, panelWidth: pw) {
                let entry = (FigureLayout.LegendEntry.Kind.scaleBar(nanometres: bar.nm), bar.label, ink, bar.pixels)
                if sections.isEmpty { sections.append([entry]) } else { sections[sections.count - 1].append(entry) }
            }
        }
        let entryGap = 4 * ts, entrySpacing = 16 * ts
        let widestEntry = sections.joined().map { $0.3 + 2 * entryGap + font.width(of: $0.1, scale: ts) }.max() ?? 0
        let contentWidth = max(panelsWidth, headingWidth, widestEntry)
        var legend: [FigureLayout.LegendEntry] = []
        if !sections.isEmpty {
            y += 10 * ts
            for section in sections {
                var x = margin
                for (kind, label, color, sw) in section {
                    let isBar: Bool = if case .scaleBar = kind { true } else { false }
                    let textGap = isBar ? 2 * entryGap : entryGap
                    let w = sw + textGap + font.width(of: label, scale: ts)
                    if x > margin && x - margin + w > contentWidth { x = margin; y += line + 5 * ts }
                    // A scale bar is a 3-pixel rule level with the middle of the text.
                    let swatchRect = isBar ? PixelRect(x: x, y: y + 3 * ts, width: sw, height: 3 * ts)
                                           : PixelRect(x: x, y: y, width: sw, height: sw)
                    legend.append(.init(kind: kind, label: label, color: color, swatch: swatchRect,
                                        textOrigin: (x + sw + textGap, y)))
                    x += w + entrySpacing
                }
                y += line + 5 * ts
            }
            y -= 5 * ts
        }
        return FigureLayout(width: contentWidth + 2 * margin, height: y + margin, textScale: ts,
                            heading: headingOrigin == nil ? nil : options.heading, headingOrigin: headingOrigin,
                            panels: panels, legend: legend)
    }

    /// The y and x ranges to draw, checked against the slice.
    public static func region(_ shape: Shape3, _ options: FigureOptions) throws(FigureError) -> (Range<Int>, Range<Int>) {
        let ry = options.roiY ?? 0..<shape.y, rx = options.roiX ?? 0..<shape.x
        guard !ry.isEmpty, !rx.isEmpty, ry.lowerBound >= 0, rx.lowerBound >= 0,
              ry.upperBound <= shape.y, rx.upperBound <= shape.x else {
            throw .roiOutOfRange("y \(ry.lowerBound):\(ry.upperBound), x \(rx.lowerBound):\(rx.upperBound) is not inside the \(shape.y)×\(shape.x) slice")
        }
        return (ry, rx)
    }

    /// The longest round length (1, 2 or 5 × 10ⁿ nm) that spans at most a quarter of a panel
    /// and at least 12 pixels.
    static func scaleBar(nmPerPixel: Double, panelWidth: Int) -> (nm: Double, pixels: Int, label: String)? {
        var best: (Double, Int)? = nil
        for exponent in 0...6 {
            for step in [1.0, 2.0, 5.0] {
                let nm = step * pow10(exponent)
                let px = Int((nm / nmPerPixel).rounded())
                if px >= 12, px * 4 <= panelWidth { best = (nm, px) }
            }
        }
        guard let (nm, px) = best else { return nil }
        let label = nm >= 1000 ? "\(formatNumber(nm / 1000)) µm" : "\(formatNumber(nm)) nm"
        return (nm, px, label)
    }

    static func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { r, _ in r * 10 } }
    static func formatNumber(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

    /// Draws the figure of slice `z`.
    public static func render(study: Study, z: Int, panes: [Pane], options: FigureOptions,
                              font: BitmapFont) throws(FigureError) -> (canvas: RGBCanvas, layout: FigureLayout) {
        guard z >= 0, z < study.shape.z else { throw .sliceOutOfRange(z, count: study.shape.z) }
        let layout = try self.layout(study: study, panes: panes, options: options, font: font)
        let (ry, rx) = try region(study.shape, options)
        let window = options.grayWindow ?? Overlay.displayRange(study.image)
        let ts = layout.textScale
        var canvas = RGBCanvas(width: layout.width, height: layout.height, fill: paper)
        if let heading = layout.heading, let o = layout.headingOrigin {
            font.draw(heading, into: &canvas, x: o.x, y: o.y, color: ink, scale: ts, bold: ts > 1)
        }
        for panel in layout.panels {
            let raster = try PanelRaster.render(panel.pane, study: study, z: z, y: ry, x: rx, window: window,
                                                alpha: options.alpha, hidden: options.hiddenClasses)
            canvas.paste(raster.resampled(width: panel.rect.width, height: panel.rect.height), x: panel.rect.x, y: panel.rect.y)
            canvas.frame(around: panel.rect, color: frameColor)
            if let o = panel.titleOrigin {
                font.draw(panel.title, into: &canvas, x: o.x, y: o.y, color: ink, scale: ts, bold: ts > 1)
            }
        }
        for entry in layout.legend {
            canvas.fill(entry.swatch, with: entry.color)
            if case .scaleBar = entry.kind {} else { canvas.frame(around: entry.swatch, color: frameColor) }
            font.draw(entry.label, into: &canvas, x: entry.textOrigin.x, y: entry.textOrigin.y, color: ink, scale: ts)
        }
        return (canvas, layout)
    }
}
