import DenseCellCore

/// A position in a plane: its row (`y`) and column (`x`) in voxels. For an xy plane these are
/// the volume's y and x; for xz and yz planes the row is z (see `PlaneAxis`).
public struct PixelPoint: Hashable, Sendable {
    var y: Int, x: Int
    init(y: Int, x: Int) { self.y = y; self.x = x }
}

/// The two label sources being compared (indices into `ViewState.sources`); `a` is the reference.
public struct SourcePair: Hashable, Sendable {
    var a: Int, b: Int
    init(a: Int, b: Int) { self.a = a; self.b = b }
}

enum MetricsTab: Int, CaseIterable, Sendable {
    /// `small` folds the pane to one summary line, leaving the rows to the images.
    case confusion, pairwise, classIoU, fractions, small
    var title: String {
        switch self {
        case .confusion: "Confusion"
        case .pairwise: "Pairwise MIoU"
        case .classIoU: "Per-class IoU"
        case .fractions: "Volume fractions"
        case .small: "▴"
        }
    }
}

enum MetricsScope: Sendable { case slice, volume }

/// Slices ordered by how much the compared pair disagrees on them (most first).
public struct DisagreementRanking: Equatable, Sendable {
    var pair: SourcePair
    var revision: Int
    /// Disagreeing voxel count per z.
    var counts: [Int]
    /// Slices with any disagreement, most disagreeing first (ties by z).
    var order: [Int]

    init(pair: SourcePair, revision: Int, counts: [Int]) {
        self.pair = pair; self.revision = revision; self.counts = counts
        order = counts.indices.filter { counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    }
}

/// What an inference job covers: the region on screen or the whole volume.
public enum JobKind: Sendable { case visibleRegion, wholeVolume
    var title: String { self == .visibleRegion ? "visible region" : "whole volume" }
}

/// A running ensemble inference as the footer shows it.
public struct JobStatus: Equatable, Sendable {
    var kind: JobKind
    var voxelsDone: Int
    var voxelsTotal: Int
    var elapsedSeconds: Double
    var cancelling: Bool = false
    init(kind: JobKind, voxelsDone: Int = 0, voxelsTotal: Int, elapsedSeconds: Double = 0) {
        self.kind = kind; self.voxelsDone = voxelsDone; self.voxelsTotal = voxelsTotal; self.elapsedSeconds = elapsedSeconds
    }
    var fraction: Double { voxelsTotal > 0 ? min(1, Double(voxelsDone) / Double(voxelsTotal)) : 0 }
    /// Seconds left at the pace so far, once there is a pace to go by.
    var etaSeconds: Double? {
        guard voxelsDone > 0, elapsedSeconds > 0.2 else { return nil }
        return elapsedSeconds * Double(voxelsTotal - voxelsDone) / Double(voxelsDone)
    }
}

/// Everything the screen shows, as a value. `reduce` changes it; `render` draws it.
public struct ViewState: Equatable, Sendable {
    var fileName: String
    var shape: Shape3
    var classNames: [String]
    /// Label sources in display order (the study's, then "ensemble" once it has results).
    var sources: [String]
    var terminal: (cols: Int, rows: Int) = (80, 24)

    /// The cursor's voxel is (z, cursor.y, cursor.x); the planes shown pass through it.
    var z: Int = 0
    /// Screen pixels per image pixel (across columns); nil fits the plane into the panes.
    var zoom: Double? = nil
    /// The point at the centre of the panes, in voxels: each plane takes its two axes of it.
    var center: (z: Double, y: Double, x: Double)
    var cursor: PixelPoint
    /// The plane every pane shows (`o` cycles it); with `threePlanes`, the plane `j`/`k` move.
    var plane: PlaneAxis = .xy
    /// `O`: one source in the three planes side by side, with lines where the others cut.
    var threePlanes: Bool = false
    /// Voxel size in nm (z, y, x) when the study records it: planes are drawn at this aspect.
    var resolution: [Double]? = nil

    var pair: SourcePair = SourcePair(a: 0, b: 1)
    var hiddenClasses: Set<Int> = []
    var alphaIndex: Int = 0
    var disagreementMap: Bool = false
    var metricsTab: MetricsTab = .confusion
    var metricsScope: MetricsScope = .slice
    var helpVisible: Bool = false
    /// How panes are drawn, and the screen pixels of a cell in that mode (1×2 with half blocks).
    var graphics: GraphicsMode = .blocks
    var cellPixels: CellSize = .halfBlock

    var job: JobStatus? = nil
    /// A one-line message for the footer (cleared by the next key).
    var notice: String? = nil
    /// A lasting remark shown when nothing else is (e.g. "no models loaded").
    var status: String? = nil
    var ranking: DisagreementRanking? = nil
    /// Where `n`/`N` are in the ranking (nil: not started, so `n` goes to the worst slice).
    var rankPosition: Int? = nil
    var quitRequested: Bool = false

    /// `r`: `n`/`N` walk the region queue of the pair instead of ranked slices.
    var regionMode: Bool = false
    var regionQueue: RegionQueue? = nil
    /// Open while a flag's note is typed.
    var prompt: NotePrompt? = nil
    /// Open while the `F` list is shown.
    var reviewList: ReviewList? = nil

    /// Overlay opacities `o` cycles through; 0 shows the bare image.
    static let alphas: [Double] = [0.45, 0.7, 1.0, 0.25, 0]
    var alpha: Double { Self.alphas[alphaIndex] }

    init(fileName: String, shape: Shape3, classNames: [String], sources: [String]) {
        self.fileName = fileName; self.shape = shape; self.classNames = classNames; self.sources = sources
        center = (Double(shape.z) / 2, Double(shape.y) / 2, Double(shape.x) / 2)
        cursor = PixelPoint(y: shape.y / 2, x: shape.x / 2)
        pair = SourcePair(a: 0, b: sources.count > 1 ? 1 : 0)
    }

    /// The cursor's voxel as (z, y, x).
    var voxel: (z: Int, y: Int, x: Int) { (z, cursor.y, cursor.x) }

    /// The cursor's plane of `axis`: its index along the normal (z for xy planes).
    func index(_ axis: PlaneAxis) -> Int { [z, cursor.y, cursor.x][axis.normal] }

    /// Moves the cursor along `axis`'s normal to plane `index` (clamped to the volume).
    mutating func setIndex(_ index: Int, _ axis: PlaneAxis) {
        let i = min(max(0, index), max(0, axis.depth(shape) - 1))
        switch axis.normal { case 0: z = i; case 1: cursor.y = i; default: cursor.x = i }
    }

    /// The cursor in `axis`'s plane (row, column).
    func cursor(in axis: PlaneAxis) -> PixelPoint {
        let p = axis.planeCoordinates(z: z, y: cursor.y, x: cursor.x)
        return PixelPoint(y: p.row, x: p.column)
    }

    /// Puts the cursor at (row, column) of `axis`'s plane through it.
    mutating func setCursor(_ p: PixelPoint, in axis: PlaneAxis) {
        let v = axis.voxel(row: p.y, column: p.x, index: index(axis))
        z = v.z; cursor = PixelPoint(y: v.y, x: v.x)
    }

    /// The centre of the panes in `axis`'s plane (row, column).
    func center(in axis: PlaneAxis) -> (y: Double, x: Double) {
        let c = [center.z, center.y, center.x]
        return (c[axis.rowAxis], c[axis.columnAxis])
    }

    /// Sets the centre of the panes in `axis`'s plane, leaving the normal's coordinate.
    mutating func setCenter(_ p: (y: Double, x: Double), in axis: PlaneAxis) {
        var c = [center.z, center.y, center.x]
        c[axis.rowAxis] = p.y; c[axis.columnAxis] = p.x
        center = (c[0], c[1], c[2])
    }

    /// The middle of `axis`'s plane.
    func middle(_ axis: PlaneAxis) -> (y: Double, x: Double) {
        let size = axis.size(shape)
        return (Double(size.rows) / 2, Double(size.columns) / 2)
    }

    /// Whether two different sources are compared, as disagreement maps and pairwise metrics need.
    public var hasPair: Bool { sources.count >= 2 && pair.a != pair.b }

    /// Every field compared; written out because the tuple fields (`terminal`, `center`) keep Swift from synthesizing it.
    public static func == (l: ViewState, r: ViewState) -> Bool {
        l.fileName == r.fileName && l.shape == r.shape && l.classNames == r.classNames && l.sources == r.sources &&
        l.terminal == r.terminal && l.z == r.z && l.zoom == r.zoom && l.center == r.center && l.cursor == r.cursor &&
        l.plane == r.plane && l.threePlanes == r.threePlanes && l.resolution == r.resolution &&
        l.pair == r.pair && l.hiddenClasses == r.hiddenClasses && l.alphaIndex == r.alphaIndex &&
        l.disagreementMap == r.disagreementMap && l.metricsTab == r.metricsTab && l.metricsScope == r.metricsScope &&
        l.helpVisible == r.helpVisible && l.graphics == r.graphics && l.cellPixels == r.cellPixels && l.job == r.job && l.notice == r.notice && l.status == r.status &&
        l.ranking == r.ranking && l.rankPosition == r.rankPosition && l.quitRequested == r.quitRequested &&
        l.regionMode == r.regionMode && l.regionQueue == r.regionQueue && l.prompt == r.prompt && l.reviewList == r.reviewList
    }
}
