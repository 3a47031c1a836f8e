import Foundation

/// A JSON value whose objects keep their keys in the order given: the commands' JSON has a
/// documented key order (docs/ARCHITECTURE.md, "Metrics"), which `JSONSerialization` does not keep.
public indirect enum OrderedJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// A finite number; NaN and infinities are written as `null` (JSON has no spelling for them).
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    /// Keys in the order written.
    case object([(String, OrderedJSON)])

    /// A number, or `null` when there is none (an undefined IoU, an empty class).
    public static func number(_ v: Double?) -> OrderedJSON { v.map { .number($0) } ?? .null }

    /// An array of optional numbers (`null` where undefined).
    public static func numbers(_ values: [Double?]) -> OrderedJSON { .array(values.map { .number($0) }) }

    /// Compact JSON text on one line.
    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        // Swift's shortest round-trip spelling (0.5, 1e-05) is valid JSON.
        case .number(let v): out += v.isFinite ? "\(v)" : "null"
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                Self.writeString(key, to: &out)
                out += ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if ch.value < 0x20 { out += String(format: "\\u%04x", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        out += "\""
    }

    public static func == (a: OrderedJSON, b: OrderedJSON) -> Bool { a.text == b.text }
}
