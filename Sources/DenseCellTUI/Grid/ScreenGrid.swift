import DenseCellCore

/// A terminal color: 24-bit RGB, or the terminal's own default foreground/background.
public struct TermColor: Hashable, Sendable {
    /// 0xRRGGBB, or `defaultValue` for the terminal default.
    public var packed: UInt32
    /// The `packed` value that stands for the terminal's default color.
    public static let defaultValue: UInt32 = 0xFF00_0000
    /// The terminal's own default foreground or background.
    public static let terminalDefault = TermColor(packed: defaultValue)

    /// A color from its packed form: 0xRRGGBB or `defaultValue`.
    public init(packed: UInt32) { self.packed = packed }
    /// A 24-bit color.
    public init(_ c: RGB) { packed = UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b) }
    /// A 24-bit color from its red, green and blue components.
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.init(RGB(r, g, b)) }

    /// Whether this is the terminal's default rather than an RGB color.
    public var isDefault: Bool { packed == Self.defaultValue }
    /// The red, green and blue components (meaningless for the terminal default).
    public var rgb: RGB { RGB(UInt8(packed >> 16 & 0xFF), UInt8(packed >> 8 & 0xFF), UInt8(packed & 0xFF)) }

    // Interface colors, chosen to read on dark and light terminals alike.
    /// Light blue for highlights, such as the metrics tabs also shown.
    public static let accent = TermColor(0x5F, 0xAF, 0xFF)
    /// Gray for secondary text.
    public static let dim = TermColor(0x8A, 0x8A, 0x8A)
    /// Amber for warnings.
    public static let warning = TermColor(0xFF, 0xAF, 0x00)
    /// Red for errors.
    public static let error = TermColor(0xFF, 0x5F, 0x5F)
    /// Green for agreement and progress (the confusion diagonal, the job bar).
    public static let good = TermColor(0x87, 0xD7, 0x5F)
    /// Dark gray behind the header, footer and tab bars.
    public static let barBackground = TermColor(0x26, 0x26, 0x26)
    /// Near-white for text on dark bars.
    public static let white = TermColor(0xEE, 0xEE, 0xEE)
}

/// One character cell: a character, colors and attributes.
public struct Cell: Hashable, Sendable {
    /// The character shown.
    public var char: Unicode.Scalar
    /// Foreground color (the upper pixel of a half block).
    public var fg: TermColor
    /// Background color (the lower pixel of a half block).
    public var bg: TermColor
    /// Bold, reverse or underline.
    public var attrs: Attributes

    /// Text attributes, combinable.
    public struct Attributes: OptionSet, Hashable, Sendable {
        /// The attribute bits.
        public let rawValue: UInt8
        /// Attributes from their bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Bold text.
        public static let bold = Attributes(rawValue: 1)
        /// Foreground and background swapped.
        public static let reverse = Attributes(rawValue: 2)
        /// Underlined text.
        public static let underline = Attributes(rawValue: 4)
    }

    /// A cell; by default a space in the terminal's default colors.
    public init(_ char: Unicode.Scalar = " ", fg: TermColor = .terminalDefault, bg: TermColor = .terminalDefault,
                attrs: Attributes = []) {
        self.char = char; self.fg = fg; self.bg = bg; self.attrs = attrs
    }

    /// A space in the terminal's default colors.
    public static let blank = Cell()
    /// The upper half block: the foreground paints the top pixel, the background the bottom one.
    public static let upperHalf: Unicode.Scalar = "\u{2580}"
}

/// The whole screen as cells; rendering fills it, the backend blits what changed.
public struct ScreenGrid: Equatable, Sendable {
    /// Columns.
    public private(set) var width: Int
    /// Rows.
    public private(set) var height: Int
    /// The cells row by row, `width` to a row.
    public var cells: [Cell]

    /// A blank grid; negative sizes count as zero.
    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = [Cell](repeating: .blank, count: self.width * self.height)
    }

    /// Clears to blanks, reusing the storage when the size is unchanged.
    public mutating func reset(width: Int, height: Int) {
        if width == self.width && height == self.height {
            cells.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] = .blank } }
        } else {
            self = ScreenGrid(width: width, height: height)
        }
    }

    /// The cell at (`row`, `col`); both must lie inside the grid.
    @inlinable public subscript(row: Int, col: Int) -> Cell {
        get { cells[row * width + col] }
        set { cells[row * width + col] = newValue }
    }

    /// Writes text from (row, col), clipped to the grid and to `maxWidth` columns; returns the
    /// column after the last character written.
    @discardableResult
    public mutating func put(_ text: String, row: Int, col: Int, fg: TermColor = .terminalDefault,
                             bg: TermColor = .terminalDefault, attrs: Cell.Attributes = [], maxWidth: Int? = nil) -> Int {
        guard row >= 0, row < height else { return col }
        let limit = min(width, col + (maxWidth ?? width))
        var c = col
        for scalar in text.unicodeScalars {
            if c >= limit { break }
            if c >= 0 { cells[row * width + c] = Cell(scalar, fg: fg, bg: bg, attrs: attrs) }
            c += 1
        }
        return c
    }

    /// Fills a rectangle with one cell.
    /// Clears `rect` to `bg` and draws a single-line frame around its edge (overlays, lists).
    mutating func fillFramed(_ rect: Rect, frame: TermColor, bg: TermColor) {
        fill(rect, with: Cell(" ", bg: bg))
        let top = rect.row, left = rect.col, bottom = rect.row + rect.height - 1, right = rect.col + rect.width - 1
        for x in left...right { self[top, x] = Cell("─", fg: frame, bg: bg); self[bottom, x] = Cell("─", fg: frame, bg: bg) }
        for y in top...bottom { self[y, left] = Cell("│", fg: frame, bg: bg); self[y, right] = Cell("│", fg: frame, bg: bg) }
        self[top, left] = Cell("┌", fg: frame, bg: bg); self[top, right] = Cell("┐", fg: frame, bg: bg)
        self[bottom, left] = Cell("└", fg: frame, bg: bg); self[bottom, right] = Cell("┘", fg: frame, bg: bg)
    }

    public mutating func fill(_ rect: Rect, with cell: Cell) {
        let r = rect.intersection(Rect(row: 0, col: 0, width: width, height: height))
        guard r.width > 0 else { return }
        for y in r.row..<(r.row + r.height) {
            for x in r.col..<(r.col + r.width) { cells[y * width + x] = cell }
        }
    }

    /// The characters of a row, trailing blanks kept (for tests and screen captures).
    public func text(row: Int) -> String {
        var s = String.UnicodeScalarView()
        for c in 0..<width { s.append(cells[row * width + c].char) }
        return String(s)
    }

    /// The whole screen as lines of characters.
    public var text: String { (0..<height).map { text(row: $0) }.joined(separator: "\n") }
}

/// A rectangle of cells.
public struct Rect: Hashable, Sendable {
    /// Top row.
    public var row: Int
    /// Left column.
    public var col: Int
    /// Width in columns.
    public var width: Int
    /// Height in rows.
    public var height: Int
    /// A rectangle; negative sizes count as zero.
    public init(row: Int, col: Int, width: Int, height: Int) {
        self.row = row; self.col = col; self.width = max(0, width); self.height = max(0, height)
    }
    /// Whether the cell at (`r`, `c`) lies inside.
    public func contains(row r: Int, col c: Int) -> Bool {
        r >= row && r < row + height && c >= col && c < col + width
    }
    /// The overlap with `o`, of zero size when they do not overlap.
    public func intersection(_ o: Rect) -> Rect {
        let r0 = max(row, o.row), c0 = max(col, o.col)
        let r1 = min(row + height, o.row + o.height), c1 = min(col + width, o.col + o.width)
        return Rect(row: r0, col: c0, width: c1 - c0, height: r1 - r0)
    }
}
