import DenseCellCore
import Foundation

/// Number and name formatting shared by the panes.
enum Format {
    /// Three decimals, or an em dash when undefined (as `compare --json` prints null).
    static func ratio(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "—" }

    static func percent(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }

    /// A count in at most `width` characters: exact when it fits, else k/M/G.
    static func count(_ n: Int, width: Int) -> String {
        let exact = String(n)
        if exact.count <= width { return exact }
        let units: [(Double, String)] = [(1e3, "k"), (1e6, "M"), (1e9, "G"), (1e12, "T")]
        for (scale, unit) in units {
            let v = Double(n) / scale
            for digits in [1, 0] {
                let s = String(format: "%.\(digits)f", v) + unit
                if s.count <= width && v < 1000 { return s }
            }
        }
        return String(exact.prefix(width))
    }

    /// A short name for narrow columns: single words keep four letters, phrases become initials.
    static func shortName(_ name: String) -> String {
        let words = name.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" })
        if words.count <= 1 { return String(name.prefix(4)) }
        return String(words.compactMap(\.first))
    }

    /// A short source name for the header: short names stay, "annotator-1" becomes "a1".
    static func shortSource(_ name: String) -> String {
        if name.count <= 8 { return name }
        let words = name.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" })
        if words.count <= 1 { return String(name.prefix(6)) }
        return String(words[0].prefix(1)) + words.dropFirst().joined()
    }

    /// A source name shortened to `width` for a column header, keeping what tells sources apart:
    /// "annotator-1" becomes "annot-1" or "ann-1", other names are cut with an ellipsis.
    static func abbreviate(_ name: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        if name.count <= width { return name }
        let words = name.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" })
        if words.count >= 2, let last = words.last, last.allSatisfy(\.isNumber), width >= last.count + 2 {
            let head = words.dropLast().joined(separator: "-")
            return String(head.prefix(width - last.count - 1)) + "-" + last
        }
        return fit(name, width)
    }

    /// A right-aligned column header that always keeps one space before it, so neighbouring
    /// headers never run together.
    static func header(_ name: String, _ width: Int) -> String {
        pad(abbreviate(name, width - 1), width, right: true)
    }

    /// Fits a name into `width`, marking a cut with an ellipsis.
    static func fit(_ s: String, _ width: Int) -> String {
        guard width > 0 else { return "" }
        if s.count <= width { return s }
        return String(s.prefix(max(0, width - 1))) + "…"
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let t = fit(s, width)
        let fill = String(repeating: " ", count: max(0, width - t.count))
        return right ? fill + t : t + fill
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
