import Foundation

/// Well-formed XML text for the report's XHTML page and its SVG charts.
///
/// The report is written as XHTML so that any XML parser can read it back (the tests do):
/// every element is closed, every attribute quoted, every text escaped.
enum Markup {
    /// An attribute list in the order written.
    typealias Attributes = [(String, String)]

    /// Escapes text or an attribute value.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" { out += " " } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// `<name a="v"…>content</name>`, or `<name …/>` when `content` is nil. `content` is markup.
    static func element(_ name: String, _ attributes: Attributes = [], _ content: String? = nil) -> String {
        var s = "<" + name
        for (key, value) in attributes { s += " \(key)=\"\(escape(value))\"" }
        guard let content else { return s + "/>" }
        return s + ">" + content + "</" + name + ">"
    }

    /// An element holding plain text (escaped here).
    static func text(_ name: String, _ attributes: Attributes = [], _ text: String) -> String {
        element(name, attributes, escape(text))
    }

    /// A coordinate or length with at most two decimals, so files stay small and diffable.
    static func number(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.2f", r).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }
}
