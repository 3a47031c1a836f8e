import XCTest
import DenseCellAssets
@testable import DenseCellCore
@testable import DenseCellIO

final class ExportFontTests: XCTestCase {
    func testShippedFontCoversPrintableASCII() throws {
        let font = try BitmapFont.standard()
        XCTAssertEqual(font.width, 5); XCTAssertEqual(font.rows, 10); XCTAssertEqual(font.advance, 6)
        for code in 0x20...0x7E { XCTAssertTrue(font.hasGlyph(Unicode.Scalar(code)!), "glyph \(code)") }
        for c in "×µ–" { XCTAssertTrue(font.hasGlyph(c.unicodeScalars.first!), String(c)) }
    }

    /// Drawing reproduces the glyph rows of the font file, pixel for pixel.
    func testDrawnTextMatchesTheFontFile() throws {
        let text = try String(contentsOf: Assets.url(BitmapFont.standardFontPath), encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("glyph 0041") })
        let rows = Array(lines[(start + 1)...(start + 10)])
        let font = try BitmapFont.standard()
        var canvas = RGBCanvas(width: 20, height: 14)
        font.draw("AA", into: &canvas, x: 2, y: 1, color: RGB(0, 0, 0))
        for (r, row) in rows.enumerated() {
            for (c, ch) in row.enumerated() {
                let black = canvas[2 + c, 1 + r] == RGB(0, 0, 0)
                XCTAssertEqual(black, ch == "#", "row \(r) col \(c)")
                XCTAssertEqual(canvas[8 + c, 1 + r] == RGB(0, 0, 0), ch == "#", "second glyph, one advance on")
            }
        }
        XCTAssertEqual(font.width(of: "AA"), 11)
        XCTAssertEqual(font.width(of: "AA", scale: 2), 22)
        // Nothing is drawn outside the two glyph cells.
        for y in 0..<14 { XCTAssertEqual(canvas[0, y], RGB(255, 255, 255)); XCTAssertEqual(canvas[19, y], RGB(255, 255, 255)) }
    }

    func testScaledTextDoublesEachPixel() throws {
        let font = try BitmapFont.standard()
        var one = RGBCanvas(width: 12, height: 12), two = RGBCanvas(width: 24, height: 24)
        font.draw("k", into: &one, x: 0, y: 0, color: RGB(0, 0, 0))
        font.draw("k", into: &two, x: 0, y: 0, color: RGB(0, 0, 0), scale: 2)
        for y in 0..<24 { for x in 0..<24 { XCTAssertEqual(two[x, y], one[x / 2, y / 2]) } }
    }

    func testTruncationKeepsTextWithinWidth() throws {
        let font = try BitmapFont.standard()
        let t = font.truncated("annotator-with-a-long-name", toWidth: 60)
        XCTAssertTrue(t.hasSuffix("…"))
        XCTAssertLessThanOrEqual(font.width(of: t), 60)
        XCTAssertEqual(font.truncated("truth", toWidth: 60), "truth")
    }

    func testMalformedFontsAreRejected() {
        let header = "width 3\nrows 2\n"
        let ok = header + "glyph 0020\n...\n...\nglyph 003F\n##.\n.#.\n"
        XCTAssertNoThrow(try BitmapFont(parsing: ok))
        XCTAssertThrowsError(try BitmapFont(parsing: header + "glyph 0020\n...\n..\nglyph 003F\n##.\n.#.\n"))
        XCTAssertThrowsError(try BitmapFont(parsing: header + "glyph 0020\n...\n...\n"), "needs ?")
        XCTAssertThrowsError(try BitmapFont(parsing: "glyph 0020\n...\n...\n"), "header first")
        XCTAssertThrowsError(try BitmapFont(parsing: header + "glyph zz\n...\n...\n"))
        XCTAssertThrowsError(try BitmapFont.load(path: "/nonexistent/font.txt"))
    }
}
