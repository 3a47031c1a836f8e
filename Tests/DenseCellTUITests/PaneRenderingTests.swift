import DenseCellCore
@testable import DenseCellTUI
import XCTest

final class PaneRenderingTests: XCTestCase {
    /// Zooms to exactly one screen pixel per image pixel.
    func sessionAtZoom1(cols: Int = 120, rows: Int = 40) -> ViewerSession {
        let s = TestStudies.session(cols: cols, rows: rows)
        while (s.state.zoom ?? 0) < 1 { s.send(.zoomIn) }
        XCTAssertEqual(s.state.zoom, 1)
        return s
    }

    /// The image pixel shown by the upper (top) or lower half of a cell at zoom 1, if inside.
    func pixel(_ s: ViewerSession, pane: PaneLayout, row: Int, col: Int, lower: Bool) -> PixelPoint? {
        let o = Layout(s.state).origin(s.state, pane: pane)
        let y = Int((o.y + Double((row - pane.pixels.row) * 2 + (lower ? 1 : 0)) + 0.5).rounded(.down))
        let x = Int((o.x + Double(col - pane.pixels.col) + 0.5).rounded(.down))
        guard y >= 0, y < s.state.shape.y, x >= 0, x < s.state.shape.x else { return nil }
        return PixelPoint(y: y, x: x)
    }

    func gray(_ s: ViewerSession, _ z: Int, _ p: PixelPoint) -> UInt8 {
        let r = s.data.displayRange
        return Overlay.gray(s.data.image[z, p.y, p.x], lo: r.lo, hi: r.hi)
    }

    func testHalfBlocksShowImageAndOverlayColorsOfOverlayModule() {
        let s = sessionAtZoom1()
        let grid = s.frame()
        let layout = Layout(s.state)
        var checked = 0
        for pane in layout.panes {
            let r = pane.pixels
            for row in r.row..<(r.row + r.height) { for col in r.col..<(r.col + r.width) {
                let cell = grid[row, col]
                guard cell.char == Cell.upperHalf else { continue }   // the cursor cell
                for lower in [false, true] {
                    let shown = lower ? cell.bg : cell.fg
                    guard let p = pixel(s, pane: pane, row: row, col: col, lower: lower) else {
                        XCTAssertEqual(shown, PaneRenderer.outside); continue
                    }
                    let g = gray(s, s.state.z, p)
                    let expected: RGB
                    switch pane.kind {
                    case .image: expected = RGB(g, g, g)
                    case .source(let i):
                        let label = s.data.sources[i].labels[s.state.z, p.y, p.x]
                        expected = Overlay.blend(gray: g, label: label, schema: .platelet, alpha: s.state.alpha)
                    case .disagreement: continue
                    }
                    XCTAssertEqual(shown.rgb, expected, "\(pane.kind) at \(p)")
                    checked += 1
                }
            } }
        }
        XCTAssertGreaterThan(checked, 3000)
    }

    func testDisagreementMapColorsKindsOfOverlayModule() {
        let s = sessionAtZoom1()
        s.send(.goToSlice(5))                 // annotator-1 shifted: missed and extra organelle edges
        s.send(.toggleDisagreementMap)
        let grid = s.frame()
        let layout = Layout(s.state)
        let pane = try! XCTUnwrap(layout.panes.first { if case .disagreement = $0.kind { true } else { false } })
        var kinds: Set<Overlay.Disagreement> = []
        let r = pane.pixels
        for row in r.row..<(r.row + r.height) { for col in r.col..<(r.col + r.width) where grid[row, col].char == Cell.upperHalf {
            guard let p = pixel(s, pane: pane, row: row, col: col, lower: false) else { continue }
            let a = s.data.sources[0].labels[5, p.y, p.x], b = s.data.sources[1].labels[5, p.y, p.x]
            let expected = Overlay.disagreementPixel(gray: gray(s, 5, p), a: a, b: b, organelles: Set(LabelSchema.platelet.organelles))
            XCTAssertEqual(grid[row, col].fg.rgb, expected)
            kinds.insert(Overlay.disagreement(a, b, organelles: Set(LabelSchema.platelet.organelles)))
        } }
        XCTAssertTrue(kinds.isSuperset(of: [.agree, .missed, .extra]), "\(kinds)")
    }

    func testZoomedOutPixelsAverageTheirBlock() {
        // 1000×1000 slice into an 80×24 screen: each screen pixel averages up to 4×4 samples.
        let shape = Shape3(1, 400, 400)
        var image = Volume<Float>(shape: shape, repeating: 0)
        for y in 0..<400 { for x in 0..<400 { image[0, y, x] = (x / 2 + y / 2) % 2 == 0 ? 0 : 255 } }
        let s = TestStudies.session(Study(image: image), cols: 80, rows: 24)
        let grid = s.frame()
        let pane = Layout(s.state).panes[0].pixels
        // A 2-pixel checkerboard averaged over big blocks comes out mid-gray, not black or white.
        let cell = grid[pane.row + pane.height / 2, pane.col + pane.width / 2 - 1]
        let v = Int(cell.fg.rgb.r)
        XCTAssertTrue((64...192).contains(v), "averaged value \(v)")
        XCTAssertEqual(cell.fg.rgb.r, cell.fg.rgb.g)
    }

    func testClassToggleAndOpacityChangeTheOverlay() {
        let s = sessionAtZoom1()
        let layout = Layout(s.state)
        let truthPane = try! XCTUnwrap(layout.panes.first { $0.kind == .source(0) })
        // A cell over the mitochondrion square.
        var spot: (Int, Int)? = nil
        let r = truthPane.pixels
        for row in r.row..<(r.row + r.height) { for col in r.col..<(r.col + r.width) {
            if let p = pixel(s, pane: truthPane, row: row, col: col, lower: false), let q = pixel(s, pane: truthPane, row: row, col: col, lower: true),
               s.data.sources[0].labels[0, p.y, p.x] == 2, s.data.sources[0].labels[0, q.y, q.x] == 2, s.state.cursor != p, s.state.cursor != q {
                spot = (row, col)
            }
        } }
        let (row, col) = try! XCTUnwrap(spot)
        let shown = s.frame()[row, col].fg.rgb
        XCTAssertNotEqual(shown.r, shown.g, "mitochondrion is painted green")
        s.send(KeyMap.action(for: .char("2"))!)
        XCTAssertEqual(s.state.hiddenClasses, [2])
        let hidden = s.frame()[row, col].fg.rgb
        XCTAssertEqual(hidden.r, hidden.g); XCTAssertEqual(hidden.g, hidden.b)
        XCTAssertTrue(s.frame().contains("mitochondrion hidden"))
        s.send(.toggleClass(2))
        // Opacity cycles back to 0 %: the overlay pane equals the image.
        while s.state.alpha != 0 { s.send(.cycleAlpha) }
        let bare = s.frame()[row, col].fg.rgb
        XCTAssertEqual(bare.r, bare.g)
    }
}

final class DisagreementZoomTests: XCTestCase {
    func testZoomedOutDisagreementsStayVisible() {
        // One-pixel-wide disagreement lines every 16 pixels: averaging would wash them out.
        let shape = Shape3(1, 256, 256)
        let a = Volume<UInt8>(shape: shape, repeating: 1)
        var b = a
        for y in 0..<256 { for x in stride(from: 0, to: 256, by: 16) { b[0, y, x] = 2 } }
        let study = Study(image: Volume(shape: shape, repeating: 128),
                          labels: [LabelSource(name: "a", role: .truth, labels: a), LabelSource(name: "b", role: .annotator, labels: b)])
        let s = TestStudies.session(study, cols: 80, rows: 24)
        s.send(.toggleDisagreementMap)
        let layout = Layout(s.state)
        XCTAssertLessThan(layout.zoom(s.state), 0.25)
        let pane = layout.panes.first { if case .disagreement = $0.kind { true } else { false } }!.pixels
        let grid = s.frame()
        let extra = Overlay.disagreementPixel(gray: Overlay.gray(128, lo: s.data.displayRange.lo, hi: s.data.displayRange.hi),
                                              a: 1, b: 2, organelles: Set(LabelSchema.platelet.organelles))
        // Blocks with a line are tinted towards the "only in B" blue; the others stay gray.
        var marked = 0, total = 0
        for r in pane.row..<(pane.row + pane.height) { for c in pane.col..<(pane.col + pane.width) where grid[r, c].char == Cell.upperHalf {
            let p = grid[r, c].fg.rgb
            if grid[r, c].fg != PaneRenderer.outside { total += 1 }
            if Int(p.b) - Int(p.r) > 30 { marked += 1 } else { XCTAssertEqual(p.r, p.b) }
        } }
        XCTAssertGreaterThan(Int(extra.b) - Int(extra.r), 30)
        XCTAssertGreaterThan(marked, 0, "disagreements must not average away")
        XCTAssertLessThan(marked, total, "agreeing blocks stay unmarked")
    }
}
