import DenseCellCore
import DenseCellIO
import Foundation

/// What a review log amounts to for the report: the decisions in effect per class pair, and the
/// flags with their notes (the log's records replayed by Core's `ReviewState`).
struct ReviewSummary: Sendable {
    /// The decisions in effect on one class pair of one compared pair, counted per take.
    struct DecisionRow: Sendable, Equatable {
        /// The compared pair as "A vs B", or "" when the log did not record it.
        var pair: String
        /// The main classes of the region in A and in B, or empty when not recorded.
        var classes: [String]
        /// Regions decided per take (a `ReviewRecord.Take` raw value).
        var takes: [String: Int]
        /// Regions decided on this row, whatever the take.
        var total: Int { takes.values.reduce(0, +) }
    }
    /// A flag raised in the log, with where it stands.
    struct Flag: Sendable, Equatable {
        /// The flag's record as logged (region, note, reviewer).
        var record: ReviewRecord
        /// The record's line in the log, from 1.
        var line: Int
        /// Whether a later record resolved the flag.
        var resolved: Bool
    }
    /// Every take's name, in the order the report's table lists them.
    static let takes = ReviewRecord.Take.allCases.map(\.rawValue)

    /// The review log's path, as given.
    var path: String
    /// Decisions in effect, most regions first.
    var decisions: [DecisionRow]
    /// Flags raised, in log order.
    var flags: [Flag]
    /// Decisions taken back by an undo, or replaced by a later decision on the same region.
    var withdrawn: Int
    /// Records in the log, counting withdrawn ones.
    var records: Int
    /// Reviewers who wrote to the log, in order of first appearance.
    var reviewers: [String]
    /// Problems the report notes but survives (a torn last line).
    var warnings: [String]

    /// Reads and replays a log.
    /// - Throws: `IOError` for a malformed line before the last, or a log of another study.
    static func read(path: String, shape: Shape3, schema: LabelSchema) throws(IOError) -> ReviewSummary {
        let contents = try ReviewLog.read(path: path, shape: shape)
        return ReviewSummary(path: path, records: contents.records, warnings: contents.warning.map { [$0] } ?? [], schema: schema)
    }

    /// Replays `records` into the rows and flags the report shows.
    /// - Parameters:
    ///   - path: The log's path, shown in the report.
    ///   - records: The log's records in order.
    ///   - warnings: Problems found while reading the log.
    ///   - schema: Names the classes of decided regions.
    init(path: String, records: [ReviewRecord], warnings: [String] = [], schema: LabelSchema) {
        self.path = path
        self.warnings = warnings
        let state = ReviewState(records: records)
        let active = state.items.filter { $0.kind == .decision }
        withdrawn = records.filter { $0.kind == .decision }.count - active.count
        func className(_ c: Int) -> String { c >= 0 && c < schema.count ? schema.classes[c].name : "class \(c)" }
        var rows: [DecisionRow] = []
        for r in active {
            let pair = r.pair.map { $0.joined(separator: " vs ") } ?? ""
            let classes = r.region.map { $0.main.map(className) } ?? []
            let take = (r.take ?? .neither).rawValue
            if let i = rows.firstIndex(where: { $0.pair == pair && $0.classes == classes }) {
                rows[i].takes[take, default: 0] += 1
            } else {
                rows.append(DecisionRow(pair: pair, classes: classes, takes: [take: 1]))
            }
        }
        rows.sort { ($0.total, $1.pair, $1.classes.joined()) > ($1.total, $0.pair, $0.classes.joined()) }
        decisions = rows
        let lines = Dictionary(records.enumerated().map { ($0.element.id, $0.offset + 1) }, uniquingKeysWith: { a, _ in a })
        flags = state.items.filter { $0.kind == .flag }.map { Flag(record: $0, line: lines[$0.id] ?? 0, resolved: state.resolved.contains($0.id)) }
        self.records = records.count
        var seen: [String] = []
        for r in records where !seen.contains(r.reviewer) { seen.append(r.reviewer) }
        reviewers = seen
    }
}
