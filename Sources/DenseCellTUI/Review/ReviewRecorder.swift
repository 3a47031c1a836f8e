import DenseCellCore
import DenseCellIO

/// The review log as the viewer keeps it: the decisions and flags replayed from it, and new
/// records appended to it (the file opened on first use, each record synced). Key thread only.
final class ReviewRecorder {
    /// What the log holds so far (replayed, then as recorded).
    private(set) var review = ReviewState()
    private(set) var reviewer = "unknown"
    private var path: String?
    private var log: ReviewLog?

    /// Replays the log at `path` and records into it from now on.
    /// - Parameter knows: whether the study has a source of this name.
    /// - Returns: what to tell: a warning about the log, or how many items were replayed.
    /// - Throws: `IOError` for a log of another study or a malformed line before the last.
    func load(path: String, reviewer: String, shape: Shape3, knows: (String) -> Bool) throws(IOError) -> String? {
        let contents = try ReviewLog.read(path: path, shape: shape)
        for r in contents.records {
            if let pair = r.pair, let unknown = pair.first(where: { !knows($0) }) {
                throw IOError(.badReference, file: path, "names the source \(unknown), which this study does not have: a log of another study")
            }
        }
        review = ReviewState(records: contents.records)
        self.path = path
        self.reviewer = reviewer
        if let warning = contents.warning { return warning }
        return review.items.isEmpty ? nil : "review log: \(review.items.count) items replayed (F lists them)"
    }

    /// Appends a record; a failure is returned to be told, not thrown (the viewer goes on).
    /// - Returns: nil when recorded, else why not.
    func append(_ r: ReviewRecord) -> String? {
        guard let path else { return "no review log: decisions are not recorded" }
        do {
            if log == nil { log = try ReviewLog(path: path) }
            try log?.append(r)
        } catch {
            return "review log not written: \(error)"
        }
        review.apply(r)
        return nil
    }

    /// The items for the `F` list, newest first.
    var listItems: [ReviewListItem] {
        review.items.reversed().map { r in
            let place = "z \(r.at[0]) (\(r.at[1]),\(r.at[2]))"
            let what: String
            switch r.kind {
            case .decision: what = "region \(r.region?.id ?? 0): \(r.take?.rawValue ?? "?") · \(r.pair?.joined(separator: " vs ") ?? "")"
            default: what = "flag: \(r.note ?? "")" + (review.resolved.contains(r.id) ? " (resolved)" : "")
            }
            return ReviewListItem(id: r.id, summary: "\(what) · \(place) · \(r.reviewer)", at: r.at, regionID: r.kind == .decision ? r.region?.id : nil)
        }
    }
}
