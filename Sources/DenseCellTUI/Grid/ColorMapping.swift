import DenseCellCore

/// How colors reach the terminal.
public enum ColorMode: Sendable, Equatable {
    /// 24-bit colors (terminfo with direct color, e.g. TERM=xterm-direct).
    case direct
    /// The xterm 256-color palette.
    case palette256
    /// 8 colors or none: characters stand in for pixels.
    case ascii
}

/// Nearest colors in the xterm 256-color palette (6×6×6 cube plus 24 grays), through a
/// 15-bit lookup table built once.
public enum Palette256 {
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    public static func rgb(ofIndex i: Int) -> RGB {
        if i >= 232 { let v = UInt8(8 + 10 * (i - 232)); return RGB(v, v, v) }
        if i >= 16 {
            let c = i - 16
            return RGB(UInt8(cubeLevels[c / 36]), UInt8(cubeLevels[c / 6 % 6]), UInt8(cubeLevels[c % 6]))
        }
        let basic: [RGB] = [RGB(0, 0, 0), RGB(128, 0, 0), RGB(0, 128, 0), RGB(128, 128, 0), RGB(0, 0, 128), RGB(128, 0, 128),
                            RGB(0, 128, 128), RGB(192, 192, 192), RGB(128, 128, 128), RGB(255, 0, 0), RGB(0, 255, 0),
                            RGB(255, 255, 0), RGB(0, 0, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255)]
        return basic[i]
    }

    /// Slow exact search over indices 16…255 (the first 16 vary between terminals).
    public static func nearestExact(_ c: RGB) -> UInt8 {
        var best = 16, bestDistance = Int.max
        for i in 16..<256 {
            let p = rgb(ofIndex: i)
            let dr = Int(c.r) - Int(p.r), dg = Int(c.g) - Int(p.g), db = Int(c.b) - Int(p.b)
            // Weighted towards green, as the eye is.
            let d = 2 * dr * dr + 4 * dg * dg + 3 * db * db
            if d < bestDistance { bestDistance = d; best = i }
        }
        return UInt8(best)
    }

    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 1 << 15)
        for i in 0..<(1 << 15) {
            let r = (i >> 10) & 31, g = (i >> 5) & 31, b = i & 31
            t[i] = nearestExact(RGB(UInt8(r << 3 | r >> 2), UInt8(g << 3 | g >> 2), UInt8(b << 3 | b >> 2)))
        }
        return t
    }()

    @inline(__always) public static func index(_ packed: UInt32) -> UInt8 {
        let r = Int(packed >> 19 & 31), g = Int(packed >> 11 & 31), b = Int(packed >> 3 & 31)
        return table[r << 10 | g << 5 | b]
    }
}

/// Cells for terminals without enough colors: a half-block pixel pair becomes a character
/// whose density follows the brightness, in the nearest of 8 colors when it is a label color;
/// line-drawing and other non-ASCII characters get ASCII stand-ins.
public enum AsciiFallback {
    static let ramp: [Unicode.Scalar] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// The character and the ANSI color (0–7, or -1 for the default) to show for a cell.
    public static func convert(_ cell: Cell) -> (char: Unicode.Scalar, color: Int) {
        if cell.char == Cell.upperHalf {
            let a = cell.fg.rgb, b = cell.bg.rgb
            let r = (Int(a.r) + Int(b.r)) / 2, g = (Int(a.g) + Int(b.g)) / 2, bl = (Int(a.b) + Int(b.b)) / 2
            let luminance = (299 * r + 587 * g + 114 * bl) / 1000
            let char = ramp[min(ramp.count - 1, luminance * ramp.count / 256)]
            let saturation = max(r, g, bl) - min(r, g, bl)
            guard saturation > 48 else { return (char, -1) }
            // Colored pixels: a solid mark in the closest ANSI hue.
            let ansi = (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (bl > 127 ? 4 : 0)
            return (luminance < 40 ? "o" : "#", ansi == 0 || ansi == 7 ? -1 : ansi)
        }
        let color = cell.fg.isDefault ? -1 : nearestAnsi(cell.fg.rgb)
        return (ascii(cell.char), color)
    }

    static func nearestAnsi(_ c: RGB) -> Int {
        let maxC = max(c.r, c.g, c.b), minC = min(c.r, c.g, c.b)
        if Int(maxC) - Int(minC) < 48 { return -1 }
        let mid = (Int(maxC) + Int(minC)) / 2
        let ansi = (Int(c.r) > mid ? 1 : 0) | (Int(c.g) > mid ? 2 : 0) | (Int(c.b) > mid ? 4 : 0)
        return ansi == 0 || ansi == 7 ? -1 : ansi
    }

    public static func ascii(_ c: Unicode.Scalar) -> Unicode.Scalar {
        if c.isASCII { return c }
        switch c {
        case "─", "—", "–": return "-"
        case "│": return "|"
        case "┌", "┐", "└", "┘", "┼": return "+"
        case "■", "█": return "#"
        case "░", "·": return "."
        case "…": return "~"
        case "≠": return "!"
        case "↓": return "v"
        case "↑": return "^"
        case "←": return "<"
        case "→": return ">"
        case "×": return "x"
        default: return "?"
        }
    }
}
