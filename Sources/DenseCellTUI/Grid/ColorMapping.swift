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
enum Palette256 {
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    static func rgb(ofIndex i: Int) -> RGB {
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

    /// Weighted towards green, as the eye is.
    @inline(__always) static func distance(_ r: Int, _ g: Int, _ b: Int, _ p: (Int, Int, Int)) -> Int {
        let dr = r - p.0, dg = g - p.1, db = b - p.2
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }

    /// The nearest cube level index (0…5) of a channel value.
    @inline(__always) static func cubeStep(_ v: Int) -> Int { v < 48 ? 0 : v < 115 ? 1 : min(5, (v - 35) / 40) }

    /// Nearest of indices 16…255 (the first 16 vary between terminals): the nearest cube
    /// color or the nearest gray, whichever is closer.
    @inline(__always) static func index(_ packed: UInt32) -> UInt8 {
        let r = Int(packed >> 16 & 0xFF), g = Int(packed >> 8 & 0xFF), b = Int(packed & 0xFF)
        let cr = cubeStep(r), cg = cubeStep(g), cb = cubeStep(b)
        let cube = (cubeLevels[cr], cubeLevels[cg], cubeLevels[cb])
        let mean = (r + g + b) / 3
        let grayStep = max(0, min(23, (mean - 3) / 10))
        let gv = 8 + 10 * grayStep
        if distance(r, g, b, (gv, gv, gv)) < distance(r, g, b, cube) { return UInt8(232 + grayStep) }
        return UInt8(16 + 36 * cr + 6 * cg + cb)
    }
}

/// Cells for terminals without enough colors: a half-block pixel pair becomes a character
/// whose density follows the brightness, in the nearest of 8 colors when it is a label color;
/// line-drawing and other non-ASCII characters get ASCII stand-ins.
enum AsciiFallback {
    static let ramp: [Unicode.Scalar] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// The character and the ANSI color (0–7, or -1 for the default) to show for a cell.
    static func convert(_ cell: Cell) -> (char: Unicode.Scalar, color: Int) {
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

    static func ascii(_ c: Unicode.Scalar) -> Unicode.Scalar {
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
        case "↑", "▴": return "^"
        case "←": return "<"
        case "→": return ">"
        case "×": return "x"
        default: return "?"
        }
    }
}
