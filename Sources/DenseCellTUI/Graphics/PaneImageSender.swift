import DenseCellCore
import Foundation

/// Decides, after each frame, which image panes the terminal must be sent and encodes them:
/// only panes whose content changed; none under the help overlay (cleared there, sent again
/// when it closes); everything again from a cleared screen when the layout changes. Knows no
/// terminal: it returns bytes, so the viewer writes them and `--measure-frames` counts them.
/// While the ensemble reports tiles, a pane showing its results is sent again at most every
/// `resultInterval` seconds: each image of a 384×384 pane is some 100 KB.
public final class PaneImageSender {
    let mode: GraphicsMode
    /// What each pane on screen shows, by its cell rectangle, the cell its image starts at and
    /// when it was sent.
    private var shown: [Rect: (content: Content, origin: Rect, sentAt: Double)] = [:]
    private var lastLayout: [Rect] = []
    private var lastSize = (cols: 0, rows: 0)
    /// Bytes and panes of the last update.
    private(set) var bytesLastFrame = 0
    /// Panes whose image the last `update` sent (unchanged panes are not sent again).
    public private(set) var panesSentLastFrame = 0
    /// Whether a pane waits (for its planes, or for the interval between results): come back soon.
    public private(set) var holdsBack = false
    /// The shortest time between two images of a pane that only new results changed.
    static let resultInterval = 0.25
    /// Seconds on a monotonic clock.
    private let clock: () -> Double

    /// Everything a pane's pixels depend on.
    struct Content: Hashable {
        var kind: PaneKind, sources: [String], axis: PlaneAxis, index: Int, zoom: Double, originY: Double, originX: Double
        /// The cursor's voxel (z, y, x), and whether the other planes' cuts are drawn through it.
        var voxel: [Int], cuts: Bool
        var cursor: PixelPoint, alpha: Double, hidden: Set<Int>, revision: Int, cell: CellSize
        /// The review region outlined on this slice, if any.
        var outline: Box3?
        /// Whether its planes were read (a pane still reading is sent again once they are),
        /// and the gray window (refined once the whole image is seen).
        var ready: Bool, windowLo: Float, windowHi: Float
    }

    /// - Parameters:
    ///   - mode: the protocol; half blocks send nothing.
    ///   - clock: seconds on a monotonic clock (tests pass their own).
    public init(mode: GraphicsMode, clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.mode = mode
        self.clock = clock
    }

    /// The terminal's screen was wiped (a resize): every pane must be sent again.
    func forget() { shown.removeAll(); lastLayout = [] }

    /// - Returns: whether the text screen must be cleared before it is drawn (sixel and iTerm2
    ///   images vanish only with the text under them), and the bytes to write after it is drawn.
    public func update(state: ViewState, data: FrameData) -> (clearScreen: Bool, bytes: [UInt8]) {
        guard mode.isPixels, state.graphics == mode else { return (false, []) }
        let layout = Layout(state)
        let panes = layout.tooSmall ? [] : layout.panes
        var out: [UInt8] = []
        var clearScreen = false
        if panes.map(\.pixels) != lastLayout || state.terminal != lastSize {
            // Panes moved: start over from an empty screen.
            if mode == .kitty { out += Self.kittyDeleteAll } else { clearScreen = true }
            shown.removeAll()
            lastLayout = panes.map(\.pixels)
            lastSize = state.terminal
        }
        let covered = Renderer.overlayBoxes(state)
        let now = clock()
        var sent = 0
        holdsBack = false
        for pane in panes {
            let rect = pane.pixels
            guard rect.width > 0, rect.height > 0 else { continue }
            if covered.contains(where: { $0.intersection(rect).width > 0 && $0.intersection(rect).height > 0 }) {
                if let old = shown.removeValue(forKey: rect), mode == .kitty { out += Self.kittyDelete(at: old.origin) }
                continue
            }
            let o = layout.origin(state, pane: pane)
            // Only label overlays depend on opacity and hidden classes, only panes of the
            // ensemble on the results arriving, the image on no source.
            var overlay = false
            if case .source = pane.kind { overlay = true }
            let image = pane.kind == .image
            let names = pane.kind.figurePane(state).sourceNames
            let index = state.index(pane.axis)
            let content = Content(kind: pane.kind, sources: image ? [] : state.sources, axis: pane.axis, index: index, zoom: layout.zoom(state),
                                  originY: o.y, originX: o.x, voxel: [state.z, state.cursor.y, state.cursor.x], cuts: state.threePlanes,
                                  cursor: state.cursor(in: pane.axis), alpha: overlay ? state.alpha : 0,
                                  hidden: overlay ? state.hiddenClasses : [],
                                  revision: names.contains(where: SourceTable.derivedNames.contains) ? data.revision : 0,
                                  cell: state.cellPixels, outline: ReviewOverlay.outlinedRegion(state)?.box,
                                  ready: data.planesAvailable(pane.axis, index, level: data.level(forZoom: layout.zoom(state), kind: pane.kind, axis: pane.axis), names: names),
                                  windowLo: data.window.lo, windowHi: data.window.hi)
            // A pane whose planes are still being read keeps what it shows until they arrive.
            if !content.ready { holdsBack = true; continue }
            if let old = shown[rect] {
                if old.content == content { continue }
                var same = old.content
                same.revision = content.revision
                if same == content && now - old.sentAt < Self.resultInterval { holdsBack = true; continue }
            }
            if let old = shown[rect], mode == .kitty { out += Self.kittyDelete(at: old.origin) }
            let (bytes, origin) = Self.image(pane, layout: layout, state: state, data: data, mode: mode)
            out += bytes
            shown[rect] = (content, origin, now)
            sent += 1
        }
        bytesLastFrame = out.count
        panesSentLastFrame = sent
        return (clearScreen, out)
    }

    /// The pane's image at its place, the cursor saved before and restored after (so ncurses
    /// still knows where it is). Sixel and iTerm2 images cover the whole pane, so each new one
    /// paints over the last; kitty images, deleted before they are replaced, cover only the
    /// cells the slice shows in, as kitty has no run-length coding of the surround.
    /// - Returns: the bytes, and the cells the image covers.
    static func image(_ pane: PaneLayout, layout: Layout, state: ViewState, data: FrameData, mode: GraphicsMode) -> (bytes: [UInt8], cells: Rect) {
        let rect = pane.pixels, cell = state.cellPixels
        let (canvas, slice) = PaneImage.renderWithSlice(pane, layout: layout, state: state, data: data)
        var cells = rect
        if mode == .kitty, let slice {
            let c0 = slice.x / cell.width, r0 = slice.y / cell.height
            let c1 = (slice.maxX + cell.width - 1) / cell.width, r1 = (slice.maxY + cell.height - 1) / cell.height
            cells = Rect(row: rect.row + r0, col: rect.col + c0, width: c1 - c0, height: r1 - r0)
        }
        let size = PixelEncoder.imageSize(mode, cols: cells.width, rows: cells.height, cell: cell)
        let part = PixelRect(x: (cells.col - rect.col) * cell.width, y: (cells.row - rect.row) * cell.height, width: size.width, height: size.height)
        let encoded = PixelEncoder.encode(PaneImage.cropped(canvas, to: part), mode: mode, cols: cells.width, rows: cells.height, cell: cell,
                                          levels: SixelPalette.levels(for: pane.kind))
        guard !encoded.isEmpty else { return ([], cells) }
        return (Array("\u{1B}7\u{1B}[\(cells.row + 1);\(cells.col + 1)H".utf8) + encoded + Array("\u{1B}8".utf8), cells)
    }

    /// Deletes every kitty image placement on screen (quietly: `q=2` asks for no reply).
    static let kittyDeleteAll = Array("\u{1B}_Ga=d,d=A,q=2\u{1B}\\".utf8)

    /// Deletes the kitty images over an image's first cell and frees their data.
    static func kittyDelete(at rect: Rect) -> [UInt8] {
        Array("\u{1B}_Ga=d,d=P,x=\(rect.col + 1),y=\(rect.row + 1),q=2\u{1B}\\".utf8)
    }
}
