import DenseCellCore
import DenseCellIO
@testable import DenseCellTUI
import XCTest

/// The parts of the ncurses backend that need no terminal: colors, pairs, ASCII fallback.
final class TerminalPiecesTests: XCTestCase {
    func testPaletteMapsCubeAndGrayColorsExactly() {
        for i in 16..<256 {
            let c = Palette256.rgb(ofIndex: i)
            let back = Palette256.index(TermColor(c).packed)
            XCTAssertEqual(Palette256.rgb(ofIndex: Int(back)), c, "index \(i)")
        }
        // Class colors land near themselves.
        for c in LabelSchema.platelet.classes.compactMap(\.color) {
            let q = Palette256.rgb(ofIndex: Int(Palette256.index(TermColor(c).packed)))
            XCTAssertLessThan(abs(Int(q.r) - Int(c.r)) + abs(Int(q.g) - Int(c.g)) + abs(Int(q.b) - Int(c.b)), 90, "\(c.hex)")
        }
    }

    func testColorPairsReuseLeastRecentlyUsedButNeverOnesOnScreenThisFrame() {
        var defined: [(Int32, Int32, Int32)] = []
        let pairs = ColorPairs(capacity: 4) { defined.append(($0, $1, $2)) }   // pairs 1…3 usable
        let a = pairs.pair(fg: 1, bg: 2, frame: 1)
        let b = pairs.pair(fg: 3, bg: 4, frame: 1)
        let c = pairs.pair(fg: 5, bg: 6, frame: 2)
        XCTAssertEqual(Set([a, b, c]).count, 3)
        XCTAssertEqual(pairs.pair(fg: 1, bg: 2, frame: 3), a, "known colors keep their pair")
        // Frame 3 needs a fourth pair: b (last used in frame 1) is the least recently used.
        let genB = pairs.generation[Int(b)]
        let d = pairs.pair(fg: 7, bg: 8, frame: 3)
        XCTAssertEqual(d, b)
        XCTAssertEqual(pairs.generation[Int(b)], genB &+ 1, "cells still showing the old pair must be redrawn")
        XCTAssertEqual(defined.count, 4)
        XCTAssertEqual(defined.last!.1, 7)
        // Every pair is on screen in frame 3 now except c; then c goes.
        XCTAssertEqual(pairs.pair(fg: 9, bg: 9, frame: 3), c)
        // All in use in this frame: no pair to give, the default is used rather than corrupting the screen.
        XCTAssertEqual(pairs.pair(fg: 10, bg: 10, frame: 3), 0)
    }

    func testAsciiFallbackKeepsBrightnessAndLabels() {
        let dark = AsciiFallback.convert(Cell(Cell.upperHalf, fg: TermColor(10, 10, 10), bg: TermColor(0, 0, 0)))
        let bright = AsciiFallback.convert(Cell(Cell.upperHalf, fg: TermColor(250, 250, 250), bg: TermColor(240, 240, 240)))
        XCTAssertEqual(dark.char, " ")
        XCTAssertEqual(bright.char, "@")
        XCTAssertEqual(dark.color, -1)
        let green = AsciiFallback.convert(Cell(Cell.upperHalf, fg: TermColor(0x3B, 0xAA, 0x5C), bg: TermColor(0x3B, 0xAA, 0x5C)))
        XCTAssertEqual(green.color, 2, "mitochondrion green maps to ANSI green")
        XCTAssertEqual(AsciiFallback.convert(Cell("│")).char, "|")
        XCTAssertEqual(AsciiFallback.convert(Cell("■", fg: TermColor(0xE0, 0x62, 0x9B))).char, "#")
        // Every character the renderer draws has a stand-in.
        let s = TestStudies.session(cols: 120, rows: 40)
        s.send(.toggleDisagreementMap); s.send(.toggleHelp)
        for cell in s.frame().cells { XCTAssertTrue(AsciiFallback.convert(cell).char.isASCII) }
        s.send(.toggleHelp)
        for cell in s.frame().cells where cell.char != "?" { XCTAssertNotEqual(AsciiFallback.convert(cell).char, "?", "\(cell.char)") }
    }

    func testCountsAndNamesFitTheirColumns() {
        XCTAssertEqual(Format.count(1234, width: 8), "1234")
        XCTAssertEqual(Format.count(123_456_789, width: 6), "123.5M")
        XCTAssertEqual(Format.count(1_500_000_000, width: 5), "1.5G")
        XCTAssertEqual(Format.shortName("dense granule core"), "dgc")
        XCTAssertEqual(Format.shortName("mitochondrion"), "mito")
        XCTAssertEqual(Format.fit("canalicular channel", 8), "canalic…")
    }
}
