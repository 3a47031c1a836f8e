/// How a figure is drawn; the defaults make a report-ready figure at image resolution.
public struct FigureOptions: Sendable {
    /// Opacity of the class colors over the image (0 shows the image alone).
    public var alpha: Double = 0.5
    /// Panel pixels per image pixel (2 doubles the size; 0.5 halves it by averaging).
    public var scale: Double = 1
    /// Rows of the slice to draw (nil = all of them).
    public var roiY: Range<Int>? = nil
    /// Columns of the slice to draw (nil = all of them).
    public var roiX: Range<Int>? = nil
    /// Class indices that are not painted (and left out of the legend).
    public var hiddenClasses: Set<Int> = []
    /// A line of text above the panels (nil = none).
    public var heading: String? = nil
    /// Draw each pane's name above its panel.
    public var paneTitles: Bool = true
    /// Draw the key of class colors (and disagreement colors, and a scale bar) below the panels.
    public var legend: Bool = true
    /// Image intensities mapped to black and white; nil = `Overlay.displayRange` of the whole
    /// volume, so every slice of a series has the same brightness.
    public var grayWindow: (lo: Float, hi: Float)? = nil

    /// Options with the given values; each defaults as its property does.
    public init(alpha: Double = 0.5, scale: Double = 1, roiY: Range<Int>? = nil, roiX: Range<Int>? = nil,
                hiddenClasses: Set<Int> = [], heading: String? = nil, paneTitles: Bool = true, legend: Bool = true,
                grayWindow: (lo: Float, hi: Float)? = nil) {
        self.alpha = alpha; self.scale = scale; self.roiY = roiY; self.roiX = roiX
        self.hiddenClasses = hiddenClasses; self.heading = heading; self.paneTitles = paneTitles
        self.legend = legend; self.grayWindow = grayWindow
    }

    /// Size of figure text: one font pixel per panel pixel step of the scale, at least 1.
    public var textScale: Int { max(1, Int(scale.rounded(.down))) }
}
