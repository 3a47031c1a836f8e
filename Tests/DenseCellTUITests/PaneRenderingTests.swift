import DenseCellCore
import DenseCellIO
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

    /// The platelet schema's class colors as documented (#RRGGBB), written down here rather than
    /// taken from the code under test.
    static let documentedColors: [UInt8: RGB] = [
        1: RGB(0x5B, 0x8D, 0xB8),   // cell
        2: RGB(0x3B, 0xAA, 0x5C),   // mitochondrion
        3: RGB(0xF2, 0xC1, 0x4E),   // canalicular channel
        4: RGB(0xE0, 0x62, 0x9B),   // alpha granule
        5: RGB(0x9B, 0x59, 0xD0),   // dense granule
        6: RGB(0xFF, 0x7F, 0x0E),   // dense granule core
    ]

    /// The disagreement map's documented colors per kind (organelles = classes 2–6).
    static func documentedDisagreement(_ a: UInt8, _ b: UInt8) -> RGB? {
        let ao = (2...6).contains(a), bo = (2...6).contains(b)
        if a == b { return nil }
        switch (ao, bo) {
        case (true, false): return RGB(0xE8, 0x41, 0x3C)    // organelle only in A
        case (false, true): return RGB(0x2B, 0xB5, 0xE8)    // organelle only in B
        case (true, true): return RGB(0xFF, 0xD4, 0x00)     // different organelles
        case (false, false): return RGB(0xB0, 0x8C, 0xFF)   // cell vs background
        }
    }

    /// `color` laid over gray `g` at opacity `alpha`.
    func over(_ g: UInt8, _ color: RGB, _ alpha: Double) -> RGB {
        func c(_ v: UInt8) -> Double { Double(g) + (Double(v) - Double(g)) * alpha }
        return RGB(UInt8(c(color.r).rounded()), UInt8(c(color.g).rounded()), UInt8(c(color.b).rounded()))
    }

    /// Each channel within 1 (rounding may differ in the last step).
    func assertClose(_ shown: RGB, _ expected: RGB, _ message: @autoclosure () -> String, line: UInt = #line) {
        let d = [Int(shown.r) - Int(expected.r), Int(shown.g) - Int(expected.g), Int(shown.b) - Int(expected.b)]
        XCTAssertTrue(d.allSatisfy { abs($0) <= 1 }, "\(shown) vs \(expected): \(message())", line: line)
    }

    func gray(_ s: ViewerSession, _ z: Int, _ p: PixelPoint) -> UInt8 {
        let r = (lo: s.data.statistics.window.lo, hi: s.data.statistics.window.hi)
        return Overlay.gray(s.data.imageVolume[z, p.y, p.x], lo: r.lo, hi: r.hi)
    }

    func testHalfBlocksShowImageAndOverlayColorsOfOverlayModule() {
        let s = sessionAtZoom1()
        let grid = s.frame()
        let layout = Layout(s.state)
        var checked = 0
        var painted: Set<UInt8> = []
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
                    switch pane.kind {
                    case .image: XCTAssertEqual(shown.rgb, RGB(g, g, g), "\(pane.kind) at \(p)")
                    case .source(let i):
                        let label = s.data.sourceVolumes[i].labels[s.state.z, p.y, p.x]
                        let expected = Self.documentedColors[label].map { over(g, $0, s.state.alpha) } ?? RGB(g, g, g)
                        assertClose(shown.rgb, expected, "\(pane.kind) label \(label) at \(p)")
                        if label != 0 { painted.insert(label) }
                    case .disagreement: continue
                    }
                    checked += 1
                }
            } }
        }
        XCTAssertGreaterThan(checked, 3000)
        XCTAssertEqual(painted, [1, 2, 4], "cell, mitochondrion and alpha granule are on screen")
        XCTAssertEqual(LabelSchema.platelet.classes.compactMap(\.color), (1...6).map { Self.documentedColors[UInt8($0)]! })
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
            let a = s.data.sourceVolumes[0].labels[5, p.y, p.x], b = s.data.sourceVolumes[1].labels[5, p.y, p.x]
            let g = gray(s, 5, p)
            // Agreement shows the image dimmed to 60 %; each kind of disagreement its color at 85 %.
            if let color = Self.documentedDisagreement(a, b) {
                assertClose(grid[row, col].fg.rgb, over(g, color, 0.85), "\(a) vs \(b) at \(p)")
            } else {
                let d = UInt8(Double(g) * 0.6)
                assertClose(grid[row, col].fg.rgb, RGB(d, d, d), "agreeing at \(p)")
            }
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
               s.data.sourceVolumes[0].labels[0, p.y, p.x] == 2, s.data.sourceVolumes[0].labels[0, q.y, q.x] == 2, s.state.cursor != p, s.state.cursor != q {
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
        let extra = Overlay.disagreementPixel(gray: Overlay.gray(128, lo: s.data.statistics.window.lo, hi: s.data.statistics.window.hi),
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
