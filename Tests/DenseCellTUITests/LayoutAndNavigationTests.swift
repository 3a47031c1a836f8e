import DenseCellCore
import DenseCellIO
@testable import DenseCellTUI
import XCTest

final class LayoutAndNavigationTests: XCTestCase {
    func assertSane(_ layout: Layout, cols: Int, rows: Int, file: StaticString = #filePath, line: UInt = #line) {
        let screen = Rect(row: 0, col: 0, width: cols, height: rows)
        XCTAssertEqual(layout.header.row, 0, file: file, line: line)
        XCTAssertEqual(layout.footer.row, rows - 1, file: file, line: line)
        var rects = [layout.header, layout.legend, layout.metrics, layout.footer]
        for p in layout.panes { rects += [p.title, p.pixels] }
        for r in rects {
            XCTAssertEqual(r.intersection(screen), r, "\(r) leaves the screen", file: file, line: line)
        }
        for i in rects.indices { for j in rects.indices where i < j {
            XCTAssertEqual(rects[i].intersection(rects[j]).width * rects[i].intersection(rects[j]).height, 0,
                           "\(rects[i]) overlaps \(rects[j])", file: file, line: line)
        } }
        XCTAssertGreaterThanOrEqual(layout.metrics.height, Layout.minimumMetricsHeight, file: file, line: line)
    }

    func testLayoutAt80x24ShowsImageAndPairLegibly() {
        let session = TestStudies.session(cols: 80, rows: 24)
        let layout = Layout(session.state)
        assertSane(layout, cols: 80, rows: 24)
        XCTAssertEqual(layout.panes.map(\.kind), [.image, .source(0), .source(1)], "image, then A and B")
        XCTAssertTrue(layout.panes.allSatisfy { $0.pixels.width >= 24 })
        let grid = session.frame()
        XCTAssertEqual(grid.width, 80); XCTAssertEqual(grid.height, 24)
        XCTAssertTrue(grid.text(row: 0).contains("test.h5"))
        XCTAssertTrue(grid.text(row: 0).contains("z 0/8"))
        XCTAssertTrue(grid.text(row: 1).contains("image"))
        XCTAssertTrue(grid.text(row: 1).contains("truth A"))
        XCTAssertTrue(grid.text(row: 1).contains("annotator-1 B"))
        XCTAssertTrue(grid.text(row: layout.metrics.row).contains("Confusion"))
        XCTAssertTrue(grid.text(row: 23).contains("q quit") || grid.text(row: 23).contains("no models"))
        // All seven classes of the confusion matrix are on screen.
        for name in ["background", "cell", "mitochondrion", "alpha granule", "dense granule c"] {
            XCTAssertTrue(grid.contains(name), "\(name) missing at 80×24:\n\(grid.text)")
        }
    }

    func testLargeTerminalShowsEveryPaneBigger() {
        let small = TestStudies.session(cols: 80, rows: 24)
        let large = TestStudies.session(cols: 200, rows: 60)
        let l = Layout(large.state)
        assertSane(l, cols: 200, rows: 60)
        XCTAssertEqual(Set(l.panes.map(\.kind)), [.image, .source(0), .source(1), .source(2)])
        XCTAssertGreaterThan(l.fitZoom, Layout(small.state).fitZoom * 2, "a large terminal should show the slice much larger")
        let grid = large.frame()
        XCTAssertTrue(grid.contains("annotator-2"))
        // With the disagreement map on there are five panes, still all shown.
        large.send(.toggleDisagreementMap)
        XCTAssertEqual(Layout(large.state).panes.count, 5)
        XCTAssertTrue(large.frame().contains("truth ≠ annotator-1"))
    }

    func testTinyTerminalSaysSoInsteadOfDrawingGarbage() {
        let s = TestStudies.session(cols: 30, rows: 10)
        XCTAssertTrue(s.frame().contains("terminal too small"))
        s.send(.resize(cols: 80, rows: 24))
        XCTAssertFalse(s.frame().contains("terminal too small"))
    }

    func testSliceNavigationChangesHeaderAndPixels() {
        let s = TestStudies.session()
        let first = s.frame()
        s.send(KeyMap.action(for: .char("j"))!)
        XCTAssertEqual(s.state.z, 1)
        let second = s.frame()
        XCTAssertTrue(second.text(row: 0).contains("z 1/8"))
        let pane = Layout(s.state).panes[0].pixels
        let changed = (pane.row..<(pane.row + pane.height)).contains { r in
            (pane.col..<(pane.col + pane.width)).contains { c in first[r, c] != second[r, c] }
        }
        XCTAssertTrue(changed, "the image pane must show the new slice")
        s.send(.pageDown); XCTAssertEqual(s.state.z, 7, "PgDn stops at the last slice")
        s.send(.nextSlice); XCTAssertEqual(s.state.z, 7)
        s.send(.firstSlice); XCTAssertEqual(s.state.z, 0)
        s.send(.previousSlice); XCTAssertEqual(s.state.z, 0)
        s.send(.lastSlice); XCTAssertEqual(s.state.z, 7)
        s.send(.pageUp); XCTAssertEqual(s.state.z, 0)
        s.send(KeyMap.action(for: .wheelDown)); XCTAssertEqual(s.state.z, 1)
        s.send(KeyMap.action(for: .wheelUp)); XCTAssertEqual(s.state.z, 0)
    }

    /// What an action needs from outside the state comes back as effects; the state alone
    /// decides whether there are any.
    func testActionsThatNeedTheWorldReturnEffects() {
        let state = TestStudies.session().state
        XCTAssertEqual(reduce(state, .nextSlice).effects, [])
        XCTAssertEqual(reduce(state, .nextDisagreement).effects, [.rankSlices(forward: true)])
        XCTAssertEqual(reduce(state, .runInference(.wholeVolume)).effects, [.startInference(.wholeVolume)])
        XCTAssertEqual(reduce(state, .exportView).effects, [.exportView])
        let noJob = reduce(state, .cancelJob)
        XCTAssertEqual(noJob.effects, [])
        XCTAssertEqual(noJob.state.notice, "no job running")
        XCTAssertEqual(reduce(state, .toggleRegionMode).effects, [.findRegions(state.pair)])
        XCTAssertEqual(reduce(state, .decide(.a)).effects, [], "no region to decide outside the queue")
        XCTAssertEqual(reduce(state, .toggleReviewList).effects, [.showReviewList])
        let prompt = reduce(reduce(state, .startFlag).state, .promptInput("x")).state
        let submitted = reduce(prompt, .promptSubmit)
        XCTAssertNil(submitted.state.prompt)
        XCTAssertEqual(submitted.effects, [.recordFlag(prompt.prompt!)])
    }

    func testReduceIsPure() {
        let s = TestStudies.session()
        let before = s.state
        let a = reduce(before, .nextSlice).state, b = reduce(before, .nextSlice).state
        XCTAssertEqual(a, b)
        XCTAssertEqual(before.z, 0)
        XCTAssertNotEqual(a, before)

        // A long script of every kind of user action, folded through reduce twice from the same
        // state: the same result each time (nothing hidden carried between calls), the start state
        // untouched, and exactly what the session reaches by sending the same actions.
        let script: [Action] = [
            .nextSlice, .nextSlice, .pageDown, .previousSlice, .zoomIn, .zoomIn, .pan(dy: 1, dx: -2),
            .toggleClass(2), .toggleClass(4), .toggleClass(2), .cycleAlpha, .cycleAlpha, .cyclePair,
            .toggleDisagreementMap, .cycleMetricsTab, .toggleMetricsScope, .click(row: 5, col: 7),
            .scroll(-3), .toggleHelp, .zoomOut, .resize(cols: 100, rows: 30), .goToSlice(4), .notice("x"),
        ]
        let first = script.reduce(before) { reduce($0, $1).state }
        let second = script.reduce(before) { reduce($0, $1).state }
        XCTAssertEqual(first, second)
        XCTAssertEqual(first.center.y, second.center.y); XCTAssertEqual(first.center.x, second.center.x)
        XCTAssertEqual(before, TestStudies.session().state, "reduce never changes the state it is given")
        for action in script { s.send(action) }
        XCTAssertEqual(s.state, first)

        // The script's effects, worked out by hand from the actions.
        XCTAssertEqual(first.z, 4)
        XCTAssertEqual(first.hiddenClasses, [4])
        XCTAssertEqual(first.alphaIndex, 2)
        XCTAssertEqual(first.pair, SourcePair(a: 0, b: 2))
        XCTAssertTrue(first.disagreementMap)
        XCTAssertEqual(first.metricsTab, .pairwise)
        XCTAssertEqual(first.metricsScope, .volume)
        XCTAssertTrue(first.helpVisible)
        XCTAssertEqual(first.terminal.cols, 100); XCTAssertEqual(first.terminal.rows, 30)
        XCTAssertEqual(first.notice, "x")
    }

    func testZoomPanAndFit() {
        let s = TestStudies.session()
        let fit = Layout(s.state).fitZoom
        s.send(.zoomIn)
        let z1 = Layout(s.state).zoom(s.state)
        XCTAssertGreaterThan(z1, fit)
        s.send(.zoomIn); s.send(.zoomIn)
        XCTAssertGreaterThan(Layout(s.state).zoom(s.state), z1)
        let center = s.state.center
        s.send(.pan(dy: 0, dx: 1))
        XCTAssertGreaterThan(s.state.center.x, center.x)
        s.send(.pan(dy: -1, dx: 0))
        XCTAssertLessThan(s.state.center.y, center.y)
        // Panning never leaves the image entirely.
        for _ in 0..<50 { s.send(.pan(dy: 0, dx: 1)) }
        XCTAssertLessThanOrEqual(s.state.center.x, Double(s.state.shape.x))
        s.send(.zoomFit)
        XCTAssertNil(s.state.zoom)
        XCTAssertTrue(s.frame().text(row: 0).contains("fit"))
        // Zooming out from fit is refused with a message, not a broken view.
        for _ in 0..<20 { s.send(.zoomOut) }
        XCTAssertNotNil(s.state.notice)
    }

    func testClickMovesCursorAndHeaderReadsEverySource() {
        let s = TestStudies.session(cols: 100, rows: 30)
        let layout = Layout(s.state)
        let pane = layout.panes[1].pixels
        // Find a cell over the truth square (class 2 at y 10..<20, x 10..<22).
        var target: (Int, Int)? = nil
        for r in pane.row..<(pane.row + pane.height) { for c in pane.col..<(pane.col + pane.width) {
            if let p = layout.planePoint(s.state, row: r, col: c)?.point, (12..<18).contains(p.y), (12..<20).contains(p.x) { target = (r, c) }
        } }
        let (row, col) = try! XCTUnwrap(target)
        s.send(KeyMap.action(for: .click(row: row, col: col)))
        let p = s.state.cursor
        XCTAssertTrue((10..<20).contains(p.y) && (10..<22).contains(p.x))
        let header = s.frame().text(row: 0)
        XCTAssertTrue(header.contains("(0,\(p.y),\(p.x))"), header)
        XCTAssertTrue(header.contains("truth mito"), header)
        XCTAssertTrue(header.contains("a1 mito") || header.contains("annotator-1 mito"), header)
        let value = Int(s.data.imageVolume[0, p.y, p.x])
        XCTAssertTrue(header.contains(" \(value) "), "image value \(value) under the cursor: \(header)")
        // The cursor is marked in every pane.
        let grid = s.frame()
        XCTAssertEqual(grid[row, col].char, "+")
    }

    func testHelpOverlayListsKeysAndCloses() {
        let s = TestStudies.session()
        s.send(KeyMap.action(for: .char("?"))!)
        let grid = s.frame()
        XCTAssertTrue(grid.contains("keys"))
        for (key, _) in KeyMap.help { XCTAssertTrue(grid.contains(key), "help lacks \(key)") }
        s.send(KeyMap.action(for: .escape)!)
        XCTAssertFalse(s.frame().contains("? or Esc closes"))
    }

    func testEveryListedKeyIsBound() {
        let keys: [Key] = [.char("j"), .char("k"), .pageDown, .pageUp, .char("g"), .char("G"), .up, .down, .left, .right,
                           .char("+"), .char("-"), .char("0"), .tab, .char("1"), .char("7"), .char("o"), .char("d"),
                           .char("m"), .char("v"), .char("n"), .char("N"), .char("i"), .char("I"), .char("c"), .char("e"),
                           .char("?"), .char("q")]
        for k in keys { XCTAssertNotNil(KeyMap.action(for: k), "\(k) is unbound") }
        XCTAssertEqual(KeyMap.action(for: .interrupt), .quit)
    }

    func testTabCyclesEveryPairAndResetsRanking() {
        let s = TestStudies.session()
        var seen: [SourcePair] = [s.state.pair]
        for _ in 0..<3 { s.send(.cyclePair); seen.append(s.state.pair) }
        XCTAssertEqual(seen, [SourcePair(a: 0, b: 1), SourcePair(a: 0, b: 2), SourcePair(a: 1, b: 2), SourcePair(a: 0, b: 1)])
        XCTAssertTrue(s.frame().contains("comparing truth (A) with annotator-1 (B)"))
    }
}
