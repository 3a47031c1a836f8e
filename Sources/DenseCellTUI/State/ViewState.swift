import DenseCellCore

/// An image position in voxel coordinates of the current slice.
public struct PixelPoint: Hashable, Sendable {
    public var y: Int, x: Int
    public init(y: Int, x: Int) { self.y = y; self.x = x }
}

/// The two label sources being compared (indices into `ViewState.sources`); `a` is the reference.
public struct SourcePair: Hashable, Sendable {
    public var a: Int, b: Int
    public init(a: Int, b: Int) { self.a = a; self.b = b }
}

public enum MetricsTab: Int, CaseIterable, Sendable {
    /// `small` folds the pane to one summary line, leaving the rows to the images.
    case confusion, pairwise, classIoU, fractions, small
    public var title: String {
        switch self {
        case .confusion: "Confusion"
        case .pairwise: "Pairwise MIoU"
        case .classIoU: "Per-class IoU"
        case .fractions: "Volume fractions"
        case .small: "▴"
        }
    }
}

public enum MetricsScope: Sendable { case slice, volume }

/// Slices ordered by how much the compared pair disagrees on them (most first).
public struct DisagreementRanking: Equatable, Sendable {
    public var pair: SourcePair
    public var revision: Int
    /// Disagreeing voxel count per z.
    public var counts: [Int]
    /// Slices with any disagreement, most disagreeing first (ties by z).
    public var order: [Int]

    public init(pair: SourcePair, revision: Int, counts: [Int]) {
        self.pair = pair; self.revision = revision; self.counts = counts
        order = counts.indices.filter { counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    }
}

public enum JobKind: Sendable { case visibleRegion, wholeVolume
    public var title: String { self == .visibleRegion ? "visible region" : "whole volume" }
}

/// A running ensemble inference as the footer shows it.
public struct JobStatus: Equatable, Sendable {
    public var kind: JobKind
    public var voxelsDone: Int
    public var voxelsTotal: Int
    public var elapsedSeconds: Double
    public var cancelling: Bool = false
    public init(kind: JobKind, voxelsDone: Int = 0, voxelsTotal: Int, elapsedSeconds: Double = 0) {
        self.kind = kind; self.voxelsDone = voxelsDone; self.voxelsTotal = voxelsTotal; self.elapsedSeconds = elapsedSeconds
    }
    public var fraction: Double { voxelsTotal > 0 ? min(1, Double(voxelsDone) / Double(voxelsTotal)) : 0 }
    /// Seconds left at the pace so far, once there is a pace to go by.
    public var etaSeconds: Double? {
        guard voxelsDone > 0, elapsedSeconds > 0.2 else { return nil }
        return elapsedSeconds * Double(voxelsTotal - voxelsDone) / Double(voxelsDone)
    }
}

/// Everything the screen shows, as a value. `reduce` changes it; `render` draws it.
public struct ViewState: Equatable, Sendable {
    public var fileName: String
    public var shape: Shape3
    public var classNames: [String]
    /// Label sources in display order (the study's, then "ensemble" once it has results).
    public var sources: [String]
    public var terminal: (cols: Int, rows: Int) = (80, 24)

    public var z: Int = 0
    /// Screen pixels per image pixel; nil fits the slice into the panes.
    public var zoom: Double? = nil
    /// Image position at the centre of the panes.
    public var center: (y: Double, x: Double)
    public var cursor: PixelPoint

    public var pair: SourcePair = SourcePair(a: 0, b: 1)
    public var hiddenClasses: Set<Int> = []
    public var alphaIndex: Int = 0
    public var disagreementMap: Bool = false
    public var metricsTab: MetricsTab = .confusion
    public var metricsScope: MetricsScope = .slice
    public var helpVisible: Bool = false
    /// How panes are drawn, and the screen pixels of a cell in that mode (1×2 with half blocks).
    public var graphics: GraphicsMode = .blocks
    public var cellPixels: CellSize = .halfBlock

    public var job: JobStatus? = nil
    /// A one-line message for the footer (cleared by the next key).
    public var notice: String? = nil
    /// A lasting remark shown when nothing else is (e.g. "no models loaded").
    public var status: String? = nil
    public var ranking: DisagreementRanking? = nil
    /// Where `n`/`N` are in the ranking (nil: not started, so `n` goes to the worst slice).
    public var rankPosition: Int? = nil
    public var quitRequested: Bool = false

    /// `r`: `n`/`N` walk the region queue of the pair instead of ranked slices.
    public var regionMode: Bool = false
    public var regionQueue: RegionQueue? = nil
    /// Open while a flag's note is typed.
    public var prompt: NotePrompt? = nil
    /// Open while the `F` list is shown.
    public var reviewList: ReviewList? = nil

    /// Overlay opacities `o` cycles through; 0 shows the bare image.
    public static let alphas: [Double] = [0.45, 0.7, 1.0, 0.25, 0]
    public var alpha: Double { Self.alphas[alphaIndex] }

    public init(fileName: String, shape: Shape3, classNames: [String], sources: [String]) {
        self.fileName = fileName; self.shape = shape; self.classNames = classNames; self.sources = sources
        center = (Double(shape.y) / 2, Double(shape.x) / 2)
        cursor = PixelPoint(y: shape.y / 2, x: shape.x / 2)
        pair = SourcePair(a: 0, b: sources.count > 1 ? 1 : 0)
    }

    public var hasPair: Bool { sources.count >= 2 && pair.a != pair.b }

    public static func == (l: ViewState, r: ViewState) -> Bool {
        l.fileName == r.fileName && l.shape == r.shape && l.classNames == r.classNames && l.sources == r.sources &&
        l.terminal == r.terminal && l.z == r.z && l.zoom == r.zoom && l.center == r.center && l.cursor == r.cursor &&
        l.pair == r.pair && l.hiddenClasses == r.hiddenClasses && l.alphaIndex == r.alphaIndex &&
        l.disagreementMap == r.disagreementMap && l.metricsTab == r.metricsTab && l.metricsScope == r.metricsScope &&
        l.helpVisible == r.helpVisible && l.graphics == r.graphics && l.cellPixels == r.cellPixels && l.job == r.job && l.notice == r.notice && l.status == r.status &&
        l.ranking == r.ranking && l.rankPosition == r.rankPosition && l.quitRequested == r.quitRequested &&
        l.regionMode == r.regionMode && l.regionQueue == r.regionQueue && l.prompt == r.prompt && l.reviewList == r.reviewList
    }
}
