import DenseCellCore

/// The disagreement regions of the compared pair as a queue the reviewer walks with `n`/`N`
/// and resolves with one key each (see docs/ARCHITECTURE.md, Review).
public struct RegionQueue: Equatable, Sendable {
    var pair: SourcePair
    /// Regions, largest first; `regions[i].id == i + 1`.
    var regions: [DisagreementRegion]
    /// The region on screen (index into `regions`); nil before the first `n`.
    var position: Int?
    /// What was decided per region id, replayed from the log and updated by each decision.
    var decided: [Int: ReviewRecord.Take]

    init(pair: SourcePair, regions: [DisagreementRegion], decided: [Int: ReviewRecord.Take] = [:]) {
        self.pair = pair; self.regions = regions; self.decided = decided
    }

    var current: DisagreementRegion? { position.map { regions[$0] } }

    /// The next region without a decision after `position` (wrapping), or nil when all are decided.
    func nextUndecided(after position: Int?) -> Int? {
        guard !regions.isEmpty else { return nil }
        let start = position.map { $0 + 1 } ?? 0
        for k in 0..<regions.count {
            let i = (start + k) % regions.count
            if decided[regions[i].id] == nil { return i }
        }
        return nil
    }
}

/// The one-line prompt for a flag's note.
public struct NotePrompt: Equatable, Sendable {
    var text: String = ""
    /// Where the flag goes (z, y, x): the cursor when `f` was pressed.
    var at: [Int]
    init(at: [Int]) { self.at = at }
}

/// One row of the `F` list of review items.
public struct ReviewListItem: Equatable, Sendable {
    var id: String
    var summary: String
    var at: [Int]
    var regionID: Int?
    init(id: String, summary: String, at: [Int], regionID: Int?) {
        self.id = id; self.summary = summary; self.at = at; self.regionID = regionID
    }
}

/// The `F` overlay: review items, newest first, and the highlighted row.
public struct ReviewList: Equatable, Sendable {
    var items: [ReviewListItem]
    var selection: Int = 0
    init(items: [ReviewListItem]) { self.items = items }
}
