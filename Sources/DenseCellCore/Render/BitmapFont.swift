/// A fixed-width bitmap font read from the text format of `Assets/font/` (blocks of `#`/`.`
/// rows under `glyph XXXX` lines), drawn pixel by pixel so figure text stays crisp.
public struct BitmapFont: Sendable {
    /// Ink columns of every glyph.
    public let width: Int
    /// Ink rows of every glyph.
    public let rows: Int
    /// Pen advance per character, in columns.
    public let advance: Int
    /// Rows from the top of a glyph to just below its baseline.
    public let baseline: Int
    private var glyphs: [UInt32: [Bool]]

    /// Why a font file could not be read.
    public enum ParseError: Error, CustomStringConvertible, Equatable {
        /// The header lines are missing or wrong, and why.
        case badHeader(String)
        /// A glyph block at `line` is malformed, and why.
        case badGlyph(line: Int, String)
        /// One line naming the header or the line at fault.
        public var description: String {
            switch self {
            case .badHeader(let why): "font header: \(why)"
            case .badGlyph(let line, let why): "font line \(line): \(why)"
            }
        }
    }

    /// Reads a font from the text of a font file.
    /// - Parameter text: The whole file.
    /// - Throws: `ParseError` naming the first problem found.
    public init(parsing text: String) throws(ParseError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        var header: [String: Int] = [:]
        var glyphs: [UInt32: [Bool]] = [:]
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("#") || words.isEmpty { i += 1; continue }
            if words[0] == "glyph" {
                guard let w = header["width"], let r = header["rows"] else {
                    throw .badHeader("width and rows must come before the first glyph")
                }
                guard words.count >= 2, let code = UInt32(words[1], radix: 16) else {
                    throw .badGlyph(line: i + 1, "expected `glyph XXXX` with a hexadecimal code point")
                }
                guard i + r < lines.count else { throw .badGlyph(line: i + 1, "glyph has fewer than \(r) rows") }
                var bits: [Bool] = []
                bits.reserveCapacity(w * r)
                for row in 1...r {
                    let cells = Array(lines[i + row])
                    guard cells.count == w, cells.allSatisfy({ $0 == "#" || $0 == "." }) else {
                        throw .badGlyph(line: i + row + 1, "expected \(w) characters of `#` and `.`")
                    }
                    bits += cells.map { $0 == "#" }
                }
                guard glyphs[code] == nil else { throw .badGlyph(line: i + 1, "glyph \(words[1]) defined twice") }
                glyphs[code] = bits
                i += r + 1
                continue
            }
            guard words.count == 2, let value = Int(words[1]), value > 0 else {
                throw .badHeader("line \(i + 1): expected `name number`")
            }
            header[String(words[0])] = value
            i += 1
        }
        guard let w = header["width"], let r = header["rows"] else { throw .badHeader("missing width or rows") }
        guard glyphs[0x3F] != nil, glyphs[0x20] != nil else { throw .badHeader("the font needs at least ` ` and `?`") }
        self.width = w
        self.rows = r
        self.advance = header["advance"] ?? w + 1
        self.baseline = header["baseline"] ?? r
        self.glyphs = glyphs
    }

    /// Whether the font draws `c` itself (others are drawn as `?`).
    func hasGlyph(_ c: Unicode.Scalar) -> Bool { glyphs[c.value] != nil }

    /// Height of a line of text at `scale`.
    func lineHeight(scale: Int = 1) -> Int { rows * scale }

    /// Width of `text` in pixels at `scale` (bold adds one pixel at the end).
    public func width(of text: String, scale: Int = 1, bold: Bool = false) -> Int {
        let n = text.unicodeScalars.count
        guard n > 0 else { return 0 }
        return ((n - 1) * advance + width) * scale + (bold ? 1 : 0)
    }

    /// The longest prefix of `text` that fits `maxWidth`, ending in `…` when shortened.
    public func truncated(_ text: String, toWidth maxWidth: Int, scale: Int = 1, bold: Bool = false) -> String {
        if width(of: text, scale: scale, bold: bold) <= maxWidth { return text }
        var scalars = Array(text.unicodeScalars)
        while !scalars.isEmpty {
            scalars.removeLast()
            var s = String(String.UnicodeScalarView(scalars))
            s.unicodeScalars.append("…")
            if width(of: s, scale: scale, bold: bold) <= maxWidth { return s }
        }
        return ""
    }

    /// Draws `text` with the top of its first line at (x, y). Each font pixel becomes a
    /// `scale`×`scale` block; `bold` widens every stroke by one pixel to the right (legible
    /// from scale 2 on; at scale 1 it would close the one-pixel gaps inside letters).
    public func draw(_ text: String, into canvas: inout RGBCanvas, x: Int, y: Int, color: RGB,
                     scale: Int = 1, bold: Bool = false) {
        let fallback = glyphs[0x3F]!
        var penX = x
        for scalar in text.unicodeScalars {
            let bits = glyphs[scalar.value] ?? fallback
            for row in 0..<rows {
                for col in 0..<width where bits[row * width + col] {
                    let px = penX + col * scale, py = y + row * scale
                    canvas.fill(PixelRect(x: px, y: py, width: scale + (bold ? 1 : 0), height: scale), with: color)
                }
            }
            penX += advance * scale
        }
    }
}
