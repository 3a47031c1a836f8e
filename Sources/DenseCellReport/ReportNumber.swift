import DenseCellCore
import Foundation

/// How the report prints the numbers it shows, and the attributes that tie each shown number
/// to the exact value behind it (`data-value`, as `compare --json` / `evaluate --json` print it).
enum ReportNumber {
    /// MIoU and IoU: three decimals, as the paper quotes them (0.571); "n/a" when undefined.
    static func score(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "n/a" }

    /// A fraction as a percentage with `digits` decimals ("12.34%"); "n/a" when undefined.
    static func percent(_ v: Double?, digits: Int = 2) -> String {
        v.map { String(format: "%.\(digits)f%%", 100 * $0) } ?? "n/a"
    }

    /// A count with thousands separators ("1,234,567").
    static func count(_ n: Int) -> String { NumberText.grouped(n) }

    /// The exact value as JSON prints it (`null` when undefined).
    static func exact(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "null" }
        return "\(v)"
    }

    /// `data-metric`, `data-value` and the keys that locate the value (source, class, pair…).
    static func tag(_ metric: String, _ value: String, _ keys: Markup.Attributes = []) -> Markup.Attributes {
        [("data-metric", metric), ("data-value", value)] + keys.map { ("data-" + $0.0, $0.1) }
    }
}
