import DenseCellCore
import DenseCellIO
import Foundation

/// One record of a review log (`STUDY.review.jsonl`): a flag with a note, a decision on a
/// disagreement region, the undo of a decision, or the resolution of a flag.
public struct ReviewRecord: Equatable, Sendable {
    public enum Kind: String, Sendable { case flag, decision, undo, resolve }
    public var kind: Kind
    /// 1-based line number in the log.
    public var line: Int
    public var time: String?
    public var reviewer: String?
    /// (z, y, x) of the action.
    public var location: [Int]?
    /// The compared sources (A, B).
    public var pair: [String]?
    public var regionID: Int?
    public var regionVoxels: Int?
    /// The region's main (A class, B class) pair, as class names.
    public var classes: [String]?
    public var note: String?
    /// For decisions: `a`, `b`, `ensemble` or `neither`.
    public var take: String?
}

/// A review log read back: its records in order, and what was skipped.
///
/// The log is append-only JSON lines, one record per line, written with one `write` each, so
/// a killed writer can at most leave the last line torn: that line is skipped with a warning.
/// Any other line that is not a JSON object of a known kind is an error naming its line.
public struct ReviewLog: Sendable {
    public var path: String
    public var records: [ReviewRecord]
    public var warnings: [String]

    /// Reads and parses the log at `path`.
    /// - Parameters:
    ///   - path: the log file.
    ///   - schema: names the classes of regions recorded as class indices.
    /// - Throws: `IOError` when the file cannot be read or a line other than the last is malformed.
    public static func read(path: String, schema: LabelSchema) throws(IOError) -> ReviewLog {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IOError(.missingFile, file: path, "cannot read the review log")
        }
        return try parse(data, path: path, schema: schema)
    }

    /// Parses log text; `path` only names the log in messages.
    public static func parse(_ data: Data, path: String, schema: LabelSchema) throws(IOError) -> ReviewLog {
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        let endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { lines.removeLast() }
        let lastContent = lines.lastIndex { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        var log = ReviewLog(path: path, records: [], warnings: [])
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            do {
                log.records.append(try record(line, number: index + 1, schema: schema))
            } catch let problem as LineProblem {
                if index == lastContent {
                    log.warnings.append("\(path): line \(index + 1): skipped an incomplete last record (\(problem.message))")
                } else {
                    throw IOError(.corrupt, file: path, "line \(index + 1): \(problem.message)")
                }
            } catch {
                throw IOError(.corrupt, file: path, "line \(index + 1): \(error)")
            }
        }
        return log
    }

    struct LineProblem: Error { var message: String }

    static func record(_ line: String, number: Int, schema: LabelSchema) throws -> ReviewRecord {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw LineProblem(message: "not a JSON object")
        }
        guard let kindText = object["kind"] as? String else { throw LineProblem(message: "no \"kind\"") }
        guard let kind = ReviewRecord.Kind(rawValue: kindText) else {
            throw LineProblem(message: "unknown kind \"\(kindText)\" (expected flag, decision, undo or resolve)")
        }
        var r = ReviewRecord(kind: kind, line: number)
        r.time = object["time"] as? String
        r.reviewer = object["reviewer"] as? String
        r.note = object["note"] as? String
        r.take = object["take"] as? String
        if let z = integer(object["z"]), let y = integer(object["y"]), let x = integer(object["x"]) {
            r.location = [z, y, x]
        } else if let l = object["location"] as? [Any], l.count == 3, let zyx = Optional(l.compactMap(integer)), zyx.count == 3 {
            r.location = zyx
        }
        r.pair = names(object["pair"])
        if let region = object["region"] as? [String: Any] {
            r.regionID = integer(region["id"])
            r.regionVoxels = integer(region["voxels"])
            let main = region["main"] ?? region["main_pair"] ?? region["classes"]
            if let list = main as? [Any], list.count == 2 {
                let named: [String] = list.compactMap { item in
                    if let i = integer(item) { return i >= 0 && i < schema.count ? schema.classes[i].name : "class \(i)" }
                    return item as? String
                }
                if named.count == 2 { r.classes = named }
            }
        } else if let id = integer(object["region"]) {
            r.regionID = id
        }
        if kind == .decision {
            guard let take = r.take, ["a", "b", "ensemble", "neither"].contains(take) else {
                throw LineProblem(message: "a decision needs \"take\": a, b, ensemble or neither")
            }
        }
        return r
    }

    static func integer(_ value: Any?) -> Int? {
        // `is Bool` holds for any NSNumber of 0 or 1; JSON's true and false come as a boolean class.
        guard let n = value as? NSNumber, !String(describing: type(of: value)).contains("Bool") else { return nil }
        let d = n.doubleValue
        return d == d.rounded() ? Int(d) : nil
    }

    /// A pair as `["A","B"]` or `"A,B"`.
    static func names(_ value: Any?) -> [String]? {
        if let list = value as? [String], list.count == 2 { return list }
        if let text = value as? String {
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2 { return parts }
        }
        return nil
    }
}

/// What a review log amounts to: decisions in effect per class pair, and the flags with notes.
public struct ReviewSummary: Sendable {
    public struct DecisionRow: Sendable, Equatable {
        public var pair: String            // "A vs B", or "" when not recorded
        public var classes: [String]       // (A class, B class), or empty when not recorded
        public var takes: [String: Int]    // take → regions
        public var total: Int { takes.values.reduce(0, +) }
    }
    public struct Flag: Sendable, Equatable {
        public var record: ReviewRecord
        public var resolved: Bool
    }
    public static let takes = ["a", "b", "ensemble", "neither"]

    public var decisions: [DecisionRow]
    public var flags: [Flag]
    /// Decisions taken back by an undo, or replaced by a later decision on the same region.
    public var withdrawn: Int
    public var records: Int
    public var reviewers: [String]

    /// Replays `log`: an undo withdraws the latest decision still in effect (on its region when
    /// it names one); a later decision on a region replaces an earlier one; a resolve closes the
    /// latest open flag at its location (or the latest open flag when it has none).
    public init(_ log: ReviewLog) {
        var active: [ReviewRecord] = []
        var withdrawn = 0
        var flags: [Flag] = []
        for r in log.records {
            switch r.kind {
            case .decision:
                if let id = r.regionID, let i = active.lastIndex(where: { $0.regionID == id && $0.pair == r.pair }) {
                    active.remove(at: i); withdrawn += 1
                }
                active.append(r)
            case .undo:
                let i = r.regionID.flatMap { id in active.lastIndex { $0.regionID == id } } ?? active.indices.last
                if let i { active.remove(at: i); withdrawn += 1 }
            case .flag:
                flags.append(Flag(record: r, resolved: false))
            case .resolve:
                let open = flags.indices.filter { !flags[$0].resolved && (r.location == nil || flags[$0].record.location == r.location) }
                if let i = open.last { flags[i].resolved = true }
            }
        }
        var rows: [DecisionRow] = []
        for r in active {
            let pair = r.pair.map { "\($0[0]) vs \($0[1])" } ?? ""
            let classes = r.classes ?? []
            if let i = rows.firstIndex(where: { $0.pair == pair && $0.classes == classes }) {
                rows[i].takes[r.take!, default: 0] += 1
            } else {
                rows.append(DecisionRow(pair: pair, classes: classes, takes: [r.take!: 1]))
            }
        }
        rows.sort { ($0.total, $1.pair, $1.classes.joined()) > ($1.total, $0.pair, $0.classes.joined()) }
        decisions = rows
        self.flags = flags
        self.withdrawn = withdrawn
        records = log.records.count
        var seen: [String] = []
        for r in log.records { if let who = r.reviewer, !seen.contains(who) { seen.append(who) } }
        reviewers = seen
    }
}
