import DenseCellCore
import DenseCellIO
import Foundation
@testable import DenseCellTUI
import XCTest

/// Pixel graphics without a terminal: probe replies, the choice of mode, which panes are sent,
/// and the layout in screen pixels.
final class GraphicsTests: XCTestCase {
    func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testProbeRepliesAreRead() {
        let all = TerminalProbe.parse(bytes("\u{1B}_Gi=31;OK\u{1B}\\\u{1B}[6;20;10t\u{1B}[?62;4;22c"))
        XCTAssertEqual(all, TerminalCapabilities(kitty: true, sixel: true, cellSize: CellSize(width: 10, height: 20), answered: true))
        // A terminal without sixel (no attribute 4), keys typed meanwhile ignored.
        let plain = TerminalProbe.parse(bytes("jk\u{1B}[?64;1;2;6;9;15;22c"))
        XCTAssertEqual(plain, TerminalCapabilities(answered: true))
        // Attribute 42 is not attribute 4; a kitty error is not support.
        let near = TerminalProbe.parse(bytes("\u{1B}_Gi=31;ENOTSUPPORTED:no\u{1B}\\\u{1B}[?62;42c"))
        XCTAssertFalse(near.sixel); XCTAssertFalse(near.kitty); XCTAssertTrue(near.answered)
        XCTAssertEqual(TerminalProbe.parse([]), TerminalCapabilities())
        // A cut-off reply is no reply.
        XCTAssertFalse(TerminalProbe.parse(bytes("\u{1B}[?62;4")).answered)
    }

    func testModeChoice() {
        let both = TerminalCapabilities(kitty: true, sixel: true, cellSize: CellSize(width: 9, height: 18), answered: true)
        var asked: [Bool] = []
        func choose(_ c: GraphicsChoice, _ caps: TerminalCapabilities, env: [String: String] = [:]) -> (GraphicsMode, CellSize, String?) {
            let r = TerminalProbe.choose(c, environment: env) { asked.append($0); return caps }
            return (r.mode, r.cell, r.remark)
        }
        XCTAssertEqual(choose(.auto, both).0, .kitty, "kitty first")
        XCTAssertEqual(choose(.auto, both).1, CellSize(width: 9, height: 18))
        var sixelOnly = both; sixelOnly.kitty = false
        XCTAssertEqual(choose(.auto, sixelOnly).0, .sixel)
        XCTAssertEqual(choose(.auto, TerminalCapabilities()).0, .blocks, "no answer: half blocks")
        var noCell = both; noCell.cellSize = nil
        let fallback = choose(.auto, noCell)
        XCTAssertEqual(fallback.0, .blocks); XCTAssertNotNil(fallback.2)
        asked = []
        XCTAssertEqual(choose(.auto, both, env: ["TMUX": "/tmp/tmux-0/default,1,0"]).0, .blocks, "tmux passes neither protocol")
        XCTAssertEqual(asked, [], "inside tmux nothing is asked")
        XCTAssertEqual(choose(.fixed(.sixel), TerminalCapabilities(cellSize: CellSize(width: 8, height: 16))).0, .sixel)
        XCTAssertEqual(asked.last, false, "a fixed mode asks only for the cell size")
        XCTAssertEqual(choose(.fixed(.iterm2), TerminalCapabilities()).0, .blocks)
        asked = []
        XCTAssertEqual(choose(.fixed(.blocks), both).0, .blocks)
        XCTAssertEqual(asked, [])
        XCTAssertEqual(GraphicsChoice("SIXEL"), .fixed(.sixel))
        XCTAssertEqual(GraphicsChoice("auto"), .auto)
        XCTAssertNil(GraphicsChoice("ascii"))
    }

    func pixelSession(_ mode: GraphicsMode, cols: Int = 120, rows: Int = 40) -> ViewerSession {
        let s = TestStudies.session(cols: cols, rows: rows)
        s.send(.setGraphics(mode, cell: CellSize(width: 10, height: 20)))
        return s
    }

    /// Images in the sender's output, by the cell they are placed at ("row;col", 1-based).
    func placements(_ out: [UInt8]) -> [String] {
        let text = String(decoding: out, as: UTF8.self)
        return text.components(separatedBy: "\u{1B}7\u{1B}[").dropFirst().map { String($0.prefix { $0 != "H" }) }
    }

    func testOnlyChangedPanesAreSentAgain() {
        let s = pixelSession(.sixel)
        let sender = PaneImageSender(mode: .sixel)
        let panes = Layout(s.state).panes
        var u = sender.update(state: s.state, data: s.prepareFrame())
        XCTAssertTrue(u.clearScreen, "the first frame starts from a clear screen")
        XCTAssertEqual(placements(u.bytes), panes.map { "\($0.pixels.row + 1);\($0.pixels.col + 1)" })
        XCTAssertTrue(s.frame().text(row: panes[0].pixels.row).trimmingCharacters(in: .whitespaces).isEmpty,
                      "the text screen leaves the pane blank for the image")
        u = sender.update(state: s.state, data: s.prepareFrame())
        XCTAssertEqual(u.bytes, [], "nothing changed, nothing sent")
        s.send(.cycleMetricsTab)
        XCTAssertEqual(sender.update(state: s.state, data: s.prepareFrame()).bytes, [], "the metrics tab is text")
        // Hiding a class changes the label panes, not the image.
        s.send(.toggleClass(2))
        u = sender.update(state: s.state, data: s.prepareFrame())
        XCTAssertFalse(u.clearScreen)
        XCTAssertEqual(placements(u.bytes).count, panes.count - 1)
        XCTAssertFalse(placements(u.bytes).contains("\(panes[0].pixels.row + 1);\(panes[0].pixels.col + 1)"))
        s.send(.nextSlice)
        s.settle()
        XCTAssertEqual(placements(sender.update(state: s.state, data: s.prepareFrame()).bytes).count, panes.count)
        // A new layout (the disagreement map adds a pane) wipes the screen and sends every pane.
        s.send(.toggleDisagreementMap)
        u = sender.update(state: s.state, data: s.prepareFrame())
        XCTAssertTrue(u.clearScreen)
        XCTAssertEqual(placements(u.bytes).count, Layout(s.state).panes.count)
        XCTAssertEqual(sender.bytesLastFrame, u.bytes.count)
    }

    func testEveryProtocolPlacesItsOwnSequenceAtThePaneOrigin() {
        let expected: [GraphicsMode: String] = [.sixel: "\u{1B}P", .kitty: "\u{1B}_Ga=T,", .iterm2: "\u{1B}]1337;File="]
        for (mode, start) in expected {
            let s = pixelSession(mode)
            let pane = Layout(s.state).panes[0]
            let bytes = PaneImageSender(mode: mode).update(state: s.state, data: s.prepareFrame()).bytes
            let out = String(decoding: bytes, as: UTF8.self)
            XCTAssertTrue(out.contains("H" + start), "\(mode)")
            // Sixel and iTerm2 cover the pane from its origin; kitty the cells the slice shows in.
            let rc = placements(bytes)[0].split(separator: ";").map { Int($0)! - 1 }
            if mode == .kitty {
                XCTAssertTrue(pane.pixels.contains(row: rc[0], col: rc[1]))
            } else {
                XCTAssertEqual(rc, [pane.pixels.row, pane.pixels.col], "\(mode)")
            }
        }
        // Half blocks send nothing.
        let s = TestStudies.session(cols: 120, rows: 40)
        XCTAssertEqual(PaneImageSender(mode: .blocks).update(state: s.state, data: s.prepareFrame()).bytes, [])
    }

    /// Stores a first ensemble tile (class 2, the top-left 16×16 of slice 0), shows the ensemble
    /// source and waits for its planes; returns the tile for more.
    func firstEnsembleTile(_ s: ViewerSession) throws -> Volume<UInt8> {
        let tile = Volume<UInt8>(shape: Shape3(1, 16, 16), repeating: 2)
        try s.data.derived.insertEnsemble(tile, at: Box3(z: 0..<1, y: 0..<16, x: 0..<16))
        s.settle()
        s.send(.addSource(SourceTable.ensembleName))
        s.settle()
        return tile
    }

    func testArrivingEnsembleResultsResendOnlyTheEnsemblePane() throws {
        let s = pixelSession(.sixel, cols: 160, rows: 40)
        var now = 0.0
        let sender = PaneImageSender(mode: .sixel, clock: { now })
        let tile = try firstEnsembleTile(s)
        _ = sender.update(state: s.state, data: s.prepareFrame())
        now += 1
        let showing = Layout(s.state).panes.filter { pane in
            if case .source(let i) = pane.kind { return s.state.sources[i] == SourceTable.ensembleName }
            return false
        }
        XCTAssertEqual(showing.count, 1, "the ensemble has a pane at 160×40")
        try s.data.derived.insertEnsemble(tile, at: Box3(z: 0..<1, y: 16..<32, x: 0..<16))
        s.settle()
        let u = sender.update(state: s.state, data: s.prepareFrame())
        XCTAssertEqual(placements(u.bytes), showing.map { "\($0.pixels.row + 1);\($0.pixels.col + 1)" })
    }

    func testHelpOverlayTakesImagesAwayAndBringsThemBack() {
        let s = pixelSession(.kitty)
        let sender = PaneImageSender(mode: .kitty)
        let first = sender.update(state: s.state, data: s.prepareFrame())
        XCTAssertTrue(String(decoding: first.bytes, as: UTF8.self).hasPrefix("\u{1B}_Ga=d,d=A,q=2\u{1B}\\"), "kitty: old images deleted")
        // Kitty images cover the cells the slice shows in, inside their panes.
        let panes = Layout(s.state).panes
        let placed = placements(first.bytes)
        XCTAssertEqual(placed.count, panes.count)
        for (place, pane) in zip(placed, panes) {
            let rc = place.split(separator: ";").map { Int($0)! - 1 }
            XCTAssertTrue(pane.pixels.contains(row: rc[0], col: rc[1]), "\(place) inside \(pane.pixels)")
        }
        s.send(.toggleHelp)
        let box = Renderer.helpBox(s.state)
        let covered = panes.indices.filter { panes[$0].pixels.intersection(box).width > 0 && panes[$0].pixels.intersection(box).height > 0 }
        XCTAssertFalse(covered.isEmpty)
        let open = String(decoding: sender.update(state: s.state, data: s.prepareFrame()).bytes, as: UTF8.self)
        for i in covered {
            let rc = placed[i].split(separator: ";")
            XCTAssertTrue(open.contains("\u{1B}_Ga=d,d=P,x=\(rc[1]),y=\(rc[0]),q=2\u{1B}\\"), "the image of pane \(i) deleted")
        }
        XCTAssertFalse(open.contains("\u{1B}7"), "no image drawn over the help")
        s.send(.toggleHelp)
        let closed = sender.update(state: s.state, data: s.prepareFrame()).bytes
        XCTAssertEqual(Set(placements(closed)), Set(covered.map { placed[$0] }), "restored")
    }

    func testPaneImageIsTheExportRasterOfTheVisibleRegion() throws {
        let s = pixelSession(.sixel)
        let layout = Layout(s.state)
        let pane = layout.panes[1]   // truth over the image
        let image = PaneImage.render(pane, layout: layout, state: s.state, data: s.prepareFrame())
        let size = layout.pixelSize(s.state, pane: pane)
        XCTAssertEqual(image.width, size.width); XCTAssertEqual(image.height, size.height)
        XCTAssertEqual(size.width, pane.pixels.width * 10)
        // At fit the whole 48×64 slice shows, centred, at the fitting zoom.
        let zoom = layout.fitZoom
        let w = Int((64 * zoom).rounded()), h = Int((48 * zoom).rounded())
        let x0 = Int(((Double(size.width) - 64 * zoom) / 2).rounded()), y0 = Int(((Double(size.height) - 48 * zoom) / 2).rounded())
        let export = try PanelRaster.render(.labels("truth"), study: s.data.wholeStudy, z: 0, y: 0..<48, x: 0..<64,
                                            window: (s.data.statistics.window.lo, s.data.statistics.window.hi), alpha: s.state.alpha).resampled(width: w, height: h)
        let cx = Int(32.5 * zoom), cy = Int(24.5 * zoom)   // the cursor mark, slice-relative
        var differing = 0
        for y in 0..<h { for x in 0..<w where (abs(x - cx) > 8 || abs(y - cy) > 8) && image[x0 + x, y0 + y] != export[x, y] { differing += 1 } }
        XCTAssertEqual(differing, 0)
        XCTAssertEqual(image[0, 0], PaneImage.surround, "outside the slice")
        XCTAssertNotEqual(image[x0 + cx + 4, y0 + cy], export[cx + 4, cy], "the cursor is marked")
    }

    /// The demo's 384×384 slices on a 200×60 terminal: the metrics get the rows their tables
    /// need and no more; the slices are larger than the 1/7.8 they were drawn at before.
    func testLargeTerminalGivesTheSlicesTheRows() {
        let study = TestStudies.make(shape: Shape3(2, 384, 384))
        for mode in [GraphicsMode.blocks, .sixel] {
            let s = TestStudies.session(study, cols: 200, rows: 60)
            s.send(.setGraphics(mode, cell: CellSize(width: 10, height: 20)))
            let layout = Layout(s.state)
            XCTAssertEqual(layout.panes.count, 4, "\(mode)")
            if mode == .blocks {
                XCTAssertGreaterThan(layout.fitZoom, 1 / 7.5, "larger than the 1/7.8 of before")
            } else {
                XCTAssertEqual(layout.fitZoom, 1, "\(mode): every voxel a screen pixel")
            }
            // The panes reach down to the legend, which sits just above the footer, or the
            // metrics below them hold their tables and nothing more.
            let grid = s.frame()
            let metrics = layout.metrics
            let bottom = layout.panes.map { $0.pixels.row + $0.pixels.height }.max()!
            XCTAssertEqual(layout.legend.row, bottom)
            if metrics.col > 0 {
                XCTAssertGreaterThanOrEqual(layout.legend.row, 60 - 3, "\(mode): the panes take every row beside the metrics")
            } else {
                let emptyRows = (metrics.row..<(metrics.row + metrics.height)).filter { r in grid.text(row: r).allSatisfy { $0 == " " } }
                XCTAssertLessThanOrEqual(emptyRows.count, 2, "\(mode): metrics rows left empty: \(emptyRows)\n\(grid.text)")
            }
            // Beside the panes, the metrics show more than one table.
            XCTAssertTrue(grid.contains("A↓ B→") && grid.contains("MIoU(org)"), "\(mode)\n\(grid.text)")
        }
        // Legible at 80×24 in pixel mode too: the image and the pair, every class of the matrix.
        let small = TestStudies.session(study, cols: 80, rows: 24)
        small.send(.setGraphics(.sixel, cell: CellSize(width: 8, height: 16)))
        XCTAssertGreaterThanOrEqual(Layout(small.state).panes.count, 3)
        XCTAssertTrue(small.frame().contains("dense granule c"))
        XCTAssertTrue(small.frame().text(row: 0).contains("sixel"), "the header names the mode")
    }

    func testPairwiseHeadersStaySeparate() {
        let study = TestStudies.make()
        for cols in [80, 100, 120] {
            let s = TestStudies.session(study, cols: cols, rows: 30)
            s.send(.cycleMetricsTab)
            let grid = s.frame()
            let row = try! XCTUnwrap(grid.row(containing: "MIoU("), grid.text)
            let header = grid.text(row: row)
            XCTAssertFalse(header.contains("truthann"), header)
            XCTAssertFalse(header.contains("…ann"), header)
            let words = header.split(separator: " ").map(String.init)
            XCTAssertTrue(words.contains("truth"), header)
            XCTAssertTrue(words.contains { $0.hasSuffix("-1") } && words.contains { $0.hasSuffix("-2") }, "annotators stay apart: \(header)")
        }
        XCTAssertEqual(Format.abbreviate("annotator-1", 7), "annot-1")
        XCTAssertEqual(Format.abbreviate("annotator-12", 5), "an-12")
        XCTAssertEqual(Format.abbreviate("ensemble", 5), "ense…")
        XCTAssertEqual(Format.header("truth", 6), " truth")
        XCTAssertEqual(Format.header("annotator-1", 6), " ann-1")
    }

    /// Results arriving faster than `resultInterval` are held back, then sent once it has
    /// passed; anything else the user does is sent at once.
    func testArrivingResultsAreSentAtMostAFewTimesASecond() throws {
        let s = pixelSession(.sixel, cols: 160, rows: 40)
        var now = 100.0
        let sender = PaneImageSender(mode: .sixel, clock: { now })
        let tile = try firstEnsembleTile(s)
        XCTAssertFalse(placements(sender.update(state: s.state, data: s.prepareFrame()).bytes).isEmpty)
        XCTAssertFalse(sender.holdsBack)
        // Ten tiles within 0.2 s: none re-sends the ensemble pane.
        for i in 1...10 {
            now += 0.02
            try s.data.derived.insertEnsemble(tile, at: Box3(z: 0..<1, y: (16 * (i / 4))..<(16 * (i / 4) + 16), x: (16 * (i % 4))..<(16 * (i % 4) + 16)))
            s.settle()
            let sentNow = sender.update(state: s.state, data: s.prepareFrame()).bytes; XCTAssertEqual(placements(sentNow), [], "tile \(i)")
            XCTAssertTrue(sender.holdsBack, "the viewer is told to come back")
        }
        // The interval over, the pane goes out once with every tile so far.
        now += PaneImageSender.resultInterval
        let late = sender.update(state: s.state, data: s.prepareFrame())
        XCTAssertEqual(placements(late.bytes).count, 1)
        XCTAssertFalse(sender.holdsBack)
        XCTAssertEqual(sender.update(state: s.state, data: s.prepareFrame()).bytes, [], "nothing new")
        // A slice change right after is not held back: every pane is sent.
        now += 0.01
        try s.data.derived.insertEnsemble(tile, at: Box3(z: 1..<2, y: 0..<16, x: 0..<16))
        s.settle()
        s.send(.nextSlice)
        s.settle()
        XCTAssertEqual(placements(sender.update(state: s.state, data: s.prepareFrame()).bytes).count, Layout(s.state).panes.count)
        XCTAssertFalse(sender.holdsBack)
    }

    /// The sixel palette keeps each pixel's tint and its gray within a luma step, in at most 256
    /// colours, the most frequent first, the viewer's marks exactly.
    func testSixelPaletteKeepsTintsAndGrays() throws {
        let s = pixelSession(.sixel)
        let layout = Layout(s.state)
        let pane = layout.panes[1]   // truth over the image: grays and blended class colours
        let canvas = PaneImage.render(pane, layout: layout, state: s.state, data: s.prepareFrame())
        let levels = SixelPalette.levels(for: pane.kind)
        XCTAssertEqual(levels, SixelPalette.overlayLevels)
        let (palette, indices) = try XCTUnwrap(SixelPalette.quantize(canvas, levels: levels))
        XCTAssertLessThanOrEqual(palette.count / 3, 256)
        XCTAssertEqual(indices.count, canvas.width * canvas.height)
        func luma(_ r: Int, _ g: Int, _ b: Int) -> Int { (77 * r + 150 * g + 29 * b + 128) >> 8 }
        var counts = [Int](repeating: 0, count: palette.count / 3)
        for i in indices { counts[Int(i)] += 1 }
        XCTAssertEqual(counts, counts.sorted(by: >), "the most frequent colours have the short register numbers")
        // The same raster always gets the same palette (the encoder quantizes it again).
        let again = try XCTUnwrap(SixelPalette.quantize(canvas, levels: levels))
        XCTAssertEqual(again.palette, palette); XCTAssertEqual(again.indices, indices)
        // A group spans one luma step of the widest ramp (the full gray range at most).
        let step = 255 / (levels - 1) + 1
        var worst = 0
        let marks = Set(PaneImage.marks.map { [$0.r, $0.g, $0.b].map(Int.init) })
        for i in 0..<indices.count {
            let p = Int(indices[i])
            let a = (0..<3).map { Int(canvas.pixels[3 * i + $0]) }, b = (0..<3).map { Int(palette[3 * p + $0]) }
            if marks.contains(a) { XCTAssertEqual(a, b, "a mark is kept exactly"); continue }
            // Same tint: blue and red minus luma agree within the chroma step.
            let la = luma(a[0], a[1], a[2]), lb = luma(b[0], b[1], b[2])
            XCTAssertLessThanOrEqual(abs((a[2] - la) - (b[2] - lb)), SixelPalette.chromaStep, "pixel \(i)")
            XCTAssertLessThanOrEqual(abs((a[0] - la) - (b[0] - lb)), SixelPalette.chromaStep, "pixel \(i)")
            worst = max(worst, abs(la - lb))
        }
        XCTAssertLessThanOrEqual(worst, step)
        // The surround, the most common colour, is kept exactly.
        XCTAssertEqual(Array(palette[0..<3]), [PaneImage.surround.r, PaneImage.surround.g, PaneImage.surround.b])
    }

    /// An image pane is a gray ramp of `imageLevels` over the grays it shows: as many levels as
    /// the slice has, up to 64, each pixel within half a step of its own gray.
    func testSixelImagePaneKeepsSixtyFourGrayLevels() throws {
        let study = TestStudies.make(shape: Shape3(2, 96, 128))
        let s = TestStudies.session(study, cols: 120, rows: 40)
        s.send(.setGraphics(.sixel, cell: CellSize(width: 10, height: 20)))
        let layout = Layout(s.state)
        let pane = layout.panes[0]
        XCTAssertEqual(pane.kind, .image)
        let canvas = PaneImage.render(pane, layout: layout, state: s.state, data: s.prepareFrame())
        let levels = SixelPalette.levels(for: pane.kind)
        XCTAssertEqual(levels, 64)
        let (palette, indices) = try XCTUnwrap(SixelPalette.quantize(canvas, levels: levels))
        let marks = Set(PaneImage.marks.map { [$0.r, $0.g, $0.b] })
        var grays = Set<UInt8>(), lo = 255, hi = 0, marksShown = Set<[UInt8]>()
        for i in 0..<(canvas.width * canvas.height) {
            let c = Array(canvas.pixels[(3 * i)..<(3 * i + 3)])
            guard !marks.contains(c) else { marksShown.insert(c); continue }
            XCTAssertTrue(c[0] == c[1] && c[1] == c[2], "the image pane is gray")
            grays.insert(c[0]); lo = min(lo, Int(c[0])); hi = max(hi, Int(c[0]))
        }
        XCTAssertGreaterThan(grays.count, 64, "the test slice has more grays than the ramp")
        let registers = (0..<(palette.count / 3)).map { Array(palette[(3 * $0)..<(3 * $0 + 3)]) }
        XCTAssertTrue(registers.allSatisfy { $0[0] == $0[1] && $0[1] == $0[2] }, "a gray ramp")
        XCTAssertEqual(Set(registers).count, registers.count, "no two registers alike")
        XCTAssertEqual(registers.count - marksShown.count, 64, "64 levels over \(lo)…\(hi), besides the marks")
        // Every pixel within a step (its group's width) of its gray, marks exactly.
        let step = Double(hi - lo) / 63
        for i in 0..<indices.count {
            let g = Int(canvas.pixels[3 * i]), q = Int(palette[3 * Int(indices[i])])
            XCTAssertLessThanOrEqual(Double(abs(g - q)), step + 0.5, "pixel \(i)")
        }
        // With fewer registers than levels the step widens: the ramp still fits.
        let coarse = try XCTUnwrap(SixelPalette.quantize(canvas, levels: 11))
        XCTAssertLessThanOrEqual(Set((0..<(coarse.palette.count / 3)).map { coarse.palette[3 * $0] }).count, 11 + marks.count)
    }

    /// libsixel encodes the pane in the palette it is given: decoded by `sixel2png`, every pixel
    /// has its palette color (within the 0–100 % steps sixel colors are given in).
    func testSixelEncodingDecodesToThePalette() throws {
        guard let tool = ["/usr/bin/sixel2png", "/usr/local/bin/sixel2png"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("sixel2png (Debian libsixel-bin, make deps) decodes the images")
        }
        let s = pixelSession(.sixel)
        let layout = Layout(s.state)
        let pane = layout.panes[1]
        let full = PaneImage.render(pane, layout: layout, state: s.state, data: s.prepareFrame())
        let size = PixelEncoder.imageSize(.sixel, cols: pane.pixels.width, rows: pane.pixels.height, cell: s.state.cellPixels)
        let canvas = PaneImage.cropped(full, to: PixelRect(x: 0, y: 0, width: size.width, height: size.height))
        let levels = SixelPalette.levels(for: pane.kind)
        let (palette, indices) = try XCTUnwrap(SixelPalette.quantize(canvas, levels: levels))
        let bytes = PixelEncoder.encode(canvas, mode: .sixel, cols: pane.pixels.width, rows: pane.pixels.height, cell: s.state.cellPixels,
                                        levels: levels)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sixel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(bytes).write(to: dir.appendingPathComponent("pane.six"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["-i", dir.appendingPathComponent("pane.six").path, "-o", dir.appendingPathComponent("pane.png").path]
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let png = try PNGImage.read(path: dir.appendingPathComponent("pane.png").path)
        XCTAssertEqual(png.width, canvas.width); XCTAssertEqual(png.height, canvas.height)
        var worst = 0
        for i in 0..<indices.count {
            let q = Int(indices[i])
            for c in 0..<3 {
                let decoded = Int(png.pixels[png.channels * i + min(c, png.channels - 1)])
                worst = max(worst, abs(decoded - Int(palette[3 * q + c])))
            }
        }
        XCTAssertLessThanOrEqual(worst, 2)
        print("sixel pane \(canvas.width)×\(canvas.height): \(bytes.count) bytes, \(palette.count / 3) colors")
    }

}
