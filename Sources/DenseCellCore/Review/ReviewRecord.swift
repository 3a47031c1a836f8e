import Foundation

/// One line of a review log: a flag, a decision on a disagreement region, or the undoing or
/// resolving of an earlier item (see docs/ARCHITECTURE.md, Review).
public struct ReviewRecord: Codable, Sendable, Equatable {
    /// What a record does.
    public enum Kind: String, Codable, Sendable {
        /// Marks a place for a second look.
        case flag
        /// Chooses whose labels a disagreement region keeps.
        case decision
        /// Withdraws an earlier flag or decision.
        case undo
        /// Marks an earlier flag as dealt with.
        case resolve
    }
    /// Whose labels a decision keeps on its region.
    public enum Take: String, Codable, Sendable, CaseIterable {
        /// The reference source A.
        case a
        /// The compared source B.
        case b
        /// The study's ensemble label source.
        case ensemble
        /// Neither: the region is left undecided, for an expert.
        case neither
    }

    /// The region a decision (or a flag placed on one) is about, as it was found.
    public struct RegionRef: Codable, Sendable, Equatable {
        /// The region's rank in the queue when it was found.
        public var id: Int
        /// [z0, z1, y0, y1, x0, x1], half-open.
        public var box: [Int]
        /// Number of voxels in the region.
        public var voxels: Int
        /// The main (A class, B class) pair.
        public var main: [Int]
        /// The region's first voxel in raster order: a flood fill from it recovers the region.
        public var seed: [Int]

        /// A reference to region `r`.
        public init(_ r: DisagreementRegion) {
            id = r.id
            box = [r.box.z.lowerBound, r.box.z.upperBound, r.box.y.lowerBound, r.box.y.upperBound,
                   r.box.x.lowerBound, r.box.x.upperBound]
            voxels = r.voxels
            main = [Int(r.mainPair.a), Int(r.mainPair.b)]
            seed = [r.seed.z, r.seed.y, r.seed.x]
        }

        /// Whether `r` is the region this reference was made from.
        public func matches(_ r: DisagreementRegion) -> Bool { self == RegionRef(r) }
    }

    /// Unique within a log; undo and resolve records name the item they act on by it.
    public var id: String
    /// ISO 8601, UTC.
    public var time: String
    /// Who made the record.
    public var reviewer: String
    /// What the record does.
    public var kind: Kind
    /// The study's shape [z, y, x]: a log is refused for a study of another shape.
    public var shape: [Int]
    /// Location [z, y, x].
    public var at: [Int]
    /// The compared pair [A, B].
    public var pair: [String]?
    /// For decisions (and flags placed on a region): the region.
    public var region: RegionRef?
    /// The reviewer's free text, if any.
    public var note: String?
    /// For decisions: whose labels the region keeps.
    public var take: Take?
    /// For undo and resolve: the id of the item acted on.
    public var target: String?

    /// A record of `kind` by `reviewer` at voxel `at` of a study of `shape`; the other
    /// arguments apply only to the kinds that use them (see the properties).
    public init(id: String = ReviewRecord.newID(), time: Date = Date(), reviewer: String, kind: Kind,
                shape: Shape3, at: (z: Int, y: Int, x: Int), pair: (String, String)? = nil,
                region: DisagreementRegion? = nil, note: String? = nil, take: Take? = nil, target: String? = nil) {
        self.id = id
        self.time = ReviewRecord.timeFormatter.string(from: time)
        self.reviewer = reviewer; self.kind = kind
        self.shape = [shape.z, shape.y, shape.x]
        self.at = [at.z, at.y, at.x]
        self.pair = pair.map { [$0.0, $0.1] }
        self.region = region.map(RegionRef.init)
        self.note = note; self.take = take; self.target = target
    }

    /// A short random id (12 hex digits): unique enough for one study's review.
    public static func newID() -> String {
        var g = SystemRandomNumberGenerator()
        return String(format: "%012llx", g.next() & 0xFFFF_FFFF_FFFF)
    }

    static let timeFormatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()

    /// One JSON line (keys sorted, no newline inside).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

/// What a review log amounts to once replayed: the live flags and decisions, in log order.
public struct ReviewState: Sendable, Equatable {
    /// Flags and decisions not undone, oldest first. Resolved flags stay, marked resolved.
    public private(set) var items: [ReviewRecord] = []
    /// Ids of the flags that have been resolved.
    public private(set) var resolved: Set<String> = []

    /// The state after replaying `records` in order.
    public init(records: [ReviewRecord] = []) { for r in records { apply(r) } }

    /// Applies one record: flags and decisions are added (a decision replaces an earlier one
    /// on the same region of the same pair), undo removes its target, resolve marks a flag.
    public mutating func apply(_ r: ReviewRecord) {
        switch r.kind {
        case .flag:
            items.append(r)
        case .decision:
            if let region = r.region {
                items.removeAll { $0.kind == .decision && $0.pair == r.pair && $0.region == region }
            }
            items.append(r)
        case .undo:
            items.removeAll { $0.id == r.target }
        case .resolve:
            if let t = r.target { resolved.insert(t) }
        }
    }

    /// The latest decision per region id for a pair.
    public func decisions(pair: (String, String)) -> [Int: ReviewRecord] {
        var out: [Int: ReviewRecord] = [:]
        for r in items where r.kind == .decision && r.pair == [pair.0, pair.1] {
            if let id = r.region?.id { out[id] = r }
        }
        return out
    }

    /// The last decision still in force (what `u` undoes).
    var lastDecision: ReviewRecord? { items.last { $0.kind == .decision } }
}
