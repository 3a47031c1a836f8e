import DenseCellCore

/// A terminal color: 24-bit RGB, or the terminal's own default foreground/background.
public struct TermColor: Hashable, Sendable {
    /// 0xRRGGBB, or `defaultValue` for the terminal default.
    public var packed: UInt32
    public static let defaultValue: UInt32 = 0xFF00_0000
    public static let terminalDefault = TermColor(packed: defaultValue)

    public init(packed: UInt32) { self.packed = packed }
    public init(_ c: RGB) { packed = UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b) }
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.init(RGB(r, g, b)) }

    public var isDefault: Bool { packed == Self.defaultValue }
    public var rgb: RGB { RGB(UInt8(packed >> 16 & 0xFF), UInt8(packed >> 8 & 0xFF), UInt8(packed & 0xFF)) }

    // Interface colors, chosen to read on dark and light terminals alike.
    public static let accent = TermColor(0x5F, 0xAF, 0xFF)
    public static let dim = TermColor(0x8A, 0x8A, 0x8A)
    public static let warning = TermColor(0xFF, 0xAF, 0x00)
    public static let error = TermColor(0xFF, 0x5F, 0x5F)
    public static let good = TermColor(0x87, 0xD7, 0x5F)
    public static let barBackground = TermColor(0x26, 0x26, 0x26)
    public static let white = TermColor(0xEE, 0xEE, 0xEE)
}

/// One character cell: a character, colors and attributes.
public struct Cell: Hashable, Sendable {
    public var char: Unicode.Scalar
    public var fg: TermColor
    public var bg: TermColor
    public var attrs: Attributes

    public struct Attributes: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let bold = Attributes(rawValue: 1)
        public static let reverse = Attributes(rawValue: 2)
        public static let underline = Attributes(rawValue: 4)
    }

    public init(_ char: Unicode.Scalar = " ", fg: TermColor = .terminalDefault, bg: TermColor = .terminalDefault,
                attrs: Attributes = []) {
        self.char = char; self.fg = fg; self.bg = bg; self.attrs = attrs
    }

    public static let blank = Cell()
    /// The upper half block: the foreground paints the top pixel, the background the bottom one.
    public static let upperHalf: Unicode.Scalar = "\u{2580}"
}

/// The whole screen as cells; rendering fills it, the backend blits what changed.
public struct ScreenGrid: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public var cells: [Cell]

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
    public var row: Int, col: Int, width: Int, height: Int
    public init(row: Int, col: Int, width: Int, height: Int) {
        self.row = row; self.col = col; self.width = max(0, width); self.height = max(0, height)
    }
    public func contains(row r: Int, col c: Int) -> Bool {
        r >= row && r < row + height && c >= col && c < col + width
    }
    public func intersection(_ o: Rect) -> Rect {
        let r0 = max(row, o.row), c0 = max(col, o.col)
        let r1 = min(row + height, o.row + o.height), c1 = min(col + width, o.col + o.width)
        return Rect(row: r0, col: c0, width: c1 - c0, height: r1 - r0)
    }
}
