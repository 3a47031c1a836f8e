import DenseCellCore
import DenseCellIO
import Foundation
import XCTest

/// The viewer in real terminals (xterm as a VT340 with 256 colour registers, kitty) on Xvfb:
/// the image pane's slice on the screenshot against `densecell export`'s PNG of the same
/// slice, scaled to the same size. Skips when the packages are missing, except under CI.
/// With DENSECELL_SHOTS=DIR the screenshots, crops and export rasters are kept there;
/// DENSECELL_REAL_TERMINAL_STUDY=PATH shows that study instead of a small phantom.
final class RealTerminalTests: XCTestCase {
    var dir = ""
    static let surround = RGB(0x12, 0x12, 0x12)   // the viewer's dark surround outside the slice
    static let shape = (y: 384, x: 384)           // the demo's slice size

    override func setUpWithError() throws {
        dir = CLI.temporaryDirectory()
        // DENSECELL_REAL_TERMINAL_STUDY: another study with 384×384 slices (the demo's phantom.h5).
        if let study = ProcessInfo.processInfo.environment["DENSECELL_REAL_TERMINAL_STUDY"] {
            try FileManager.default.createSymbolicLink(atPath: dir + "/p.h5", withDestinationPath: URL(fileURLWithPath: study).path)
            return
        }
        let phantom = try CLI.run(["phantom", dir + "/p.h5", "--shape", "6x\(Self.shape.y)x\(Self.shape.x)", "--seed", "1"])
        XCTAssertEqual(phantom.status, 0, phantom.stderr)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func requireTools(_ emulator: RealTerminal.Emulator) throws {
        let missing = RealTerminal.missing(emulator)
        guard missing.isEmpty else {
            let message = "\(missing.joined(separator: ", ")) missing (Debian xvfb, \(emulator.rawValue), imagemagick: make deps)"
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(message) }
            throw XCTSkip(message)
        }
    }

    /// Opens the viewer in `emulator` on slice 0, waits for the image pane on screen and
    /// compares its slice with the export.
    func screenDifference(_ emulator: RealTerminal.Emulator, graphics: String) throws -> (RealTerminal.Difference, PixelRect) {
        try requireTools(emulator)
        let x = try RealTerminal()
        defer { x.stop() }
        try x.launch(emulator, cols: 160, rows: 48, command: [CLI.binary.path, "view", dir + "/p.h5", "--graphics", graphics], directory: dir)
        let shotPath = dir + "/\(emulator.rawValue)-screen.png"
        let located = try x.waitFor(timeout: 25, path: shotPath) { RealTerminal.locateSlice(in: $0, surround: Self.surround) }
        let (shot, slice) = try XCTUnwrap(located, "no image pane on the \(emulator.rawValue) screen within 25 s (terminal running: \(x.terminalRunning))")
        // The slice is square: drawn at one zoom in x and y, enlarged or shrunk to fit the pane.
        XCTAssertLessThanOrEqual(abs(slice.width - slice.height), 1, "\(slice)")
        XCTAssertGreaterThan(slice.width, Self.shape.x / 3, "\(slice)")
        let out = dir + "/export"
        let r = try CLI.run(["export", dir + "/p.h5", "--z", "0", "--panes", "image", "--no-titles", "--no-legend", "--title", "", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let figure = ViewGraphicsTests.canvas(try PNGImage.read(path: out + "/p-z000-image.png"))
        // The panel sits at the figure's 10-pixel margin.
        var panel = RGBCanvas(width: Self.shape.x, height: Self.shape.y)
        for y in 0..<Self.shape.y { for x in 0..<Self.shape.x { panel[x, y] = figure[10 + x, 10 + y] } }
        let expected = panel.resampled(width: slice.width, height: slice.height)
        // The cursor's cross over the centre voxel is the viewer's own mark, left out.
        let zoom = Double(slice.width) / Double(Self.shape.x)
        let cx = Int((Double(Self.shape.x / 2) + 0.5) * zoom), cy = Int((Double(Self.shape.y / 2) + 0.5) * zoom)
        let cursor = PixelRect(x: cx - 10, y: cy - 10, width: 21, height: 21)
        let d = RealTerminal.difference(shot, at: slice, from: expected, excluding: cursor)
        print("\(emulator.rawValue) (\(graphics)): slice at \(slice) on the screenshot, zoom \(String(format: "%.3f", zoom)); \(d)")
        if let keep = ProcessInfo.processInfo.environment["DENSECELL_SHOTS"] {
            try FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            var crop = RGBCanvas(width: slice.width, height: slice.height)
            for y in 0..<slice.height { for x in 0..<slice.width { crop[x, y] = shot[slice.x + x, slice.y + y] } }
            try? FileManager.default.removeItem(atPath: keep + "/\(emulator.rawValue)-screen.png")
            try FileManager.default.copyItem(atPath: shotPath, toPath: keep + "/\(emulator.rawValue)-screen.png")
            try PNGImage(width: crop.width, height: crop.height, channels: 3, pixels: crop.pixels).write(path: keep + "/\(emulator.rawValue)-slice.png")
            try PNGImage(width: expected.width, height: expected.height, channels: 3, pixels: expected.pixels).write(path: keep + "/\(emulator.rawValue)-export.png")
        }
        return (d, slice)
    }

    /// xterm -ti vt340 with 256 colour registers draws the sixel panes: 64 gray levels (a step
    /// of about 4 over the slice's grays), so within 2 on average and a step and a half at most.
    func testXtermDrawsTheSixelImagePaneAsTheExport() throws {
        let (d, _) = try screenDifference(.xterm, graphics: "sixel")
        for c in 0..<3 {
            XCTAssertLessThan(d.mean[c], 2, "\(d)")
            XCTAssertLessThanOrEqual(d.max[c], 6, "\(d)")
        }
    }

    /// kitty (on Mesa's software OpenGL) shows the lossless RGB panes pixel for pixel.
    func testKittyDrawsTheImagePaneAsTheExport() throws {
        let (d, _) = try screenDifference(.kitty, graphics: "kitty")
        for c in 0..<3 {
            XCTAssertLessThan(d.mean[c], 0.5, "\(d)")
            XCTAssertLessThanOrEqual(d.max[c], 2, "\(d)")
        }
    }
}
