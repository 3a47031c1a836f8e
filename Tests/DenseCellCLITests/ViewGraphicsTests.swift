import DenseCellCore
import DenseCellIO
import Foundation
import XCTest

/// Runs the real viewer on a scripted pseudo-terminal (Tests/DenseCellCLITests/pty-terminal.py)
/// that answers the probes like a sixel or kitty terminal, decodes the images it writes and
/// compares them with the PNG export of the same slice.
final class ViewGraphicsTests: XCTestCase {
    var dir = ""
    static let script = CLI.packageRoot.appendingPathComponent("Tests/DenseCellCLITests/pty-terminal.py").path
    static let surround: UInt8 = 0x12   // the viewer's dark surround outside the slice
    static let cell = (width: 10, height: 20)

    override func setUpWithError() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") || Self.which("python3") != nil else {
            throw XCTSkip("python3 runs the scripted terminal")
        }
        dir = CLI.temporaryDirectory()
        let phantom = try CLI.run(["phantom", dir + "/p.h5", "--shape", "4x96x128", "--seed", "3"])
        XCTAssertEqual(phantom.status, 0, phantom.stderr)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    static func which(_ tool: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(tool)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `view p.h5 EXTRA…` on the scripted terminal; returns what it wrote and the script's report.
    func runViewer(answer: String, steps: [String], extra: [String], winsizePixels: Bool = false) throws -> (output: [UInt8], report: [String: Any]) {
        let capture = dir + "/capture-\(UUID().uuidString.prefix(6)).bin"
        var args = [Self.script, "--cols", "120", "--rows", "40", "--cell", "\(Self.cell.width)x\(Self.cell.height)",
                    "--answer", answer, "--out", capture]
        if winsizePixels { args.append("--winsize-pixels") }
        args += steps.flatMap { ["--step", $0] }
        args += ["--", CLI.binary.path, "view", dir + "/p.h5"] + extra
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], String(decoding: data, as: UTF8.self))
        XCTAssertNil(report["error"], "\(report)")
        return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: capture))), report)
    }

    /// An image the viewer placed: its cell (1-based, as in the cursor-position sequence) and bytes.
    struct Placed { var row: Int, col: Int, bytes: [UInt8] }

    /// Every `ESC 7 ESC [ row ; col H image ESC 8` in the output, in order.
    static func placedImages(_ out: [UInt8]) -> [Placed] {
        let data = Data(out)
        let start = Data("\u{1B}7\u{1B}[".utf8), end = Data("\u{1B}8".utf8)
        var images: [Placed] = []
        var from = data.startIndex
        while let s = data.range(of: start, in: from..<data.endIndex),
              let h = data[s.upperBound...].firstIndex(of: UInt8(ascii: "H")),
              let e = data.range(of: end, in: h..<data.endIndex) {
            let numbers = String(decoding: data[s.upperBound..<h], as: UTF8.self).split(separator: ";").compactMap { Int($0) }
            if numbers.count == 2 { images.append(Placed(row: numbers[0], col: numbers[1], bytes: [UInt8](data[(h + 1)..<e.lowerBound]))) }
            from = e.upperBound
        }
        return images
    }

    func decodeSixel(_ bytes: [UInt8]) throws -> RGBCanvas {
        let six = dir + "/image.six", png = dir + "/image.png"
        try Data(bytes).write(to: URL(fileURLWithPath: six))
        let tool = try XCTUnwrap(Self.which("sixel2png") ?? (FileManager.default.isExecutableFile(atPath: "/usr/bin/sixel2png") ? "/usr/bin/sixel2png" : nil),
                                 "sixel2png (Debian libsixel-bin, make deps) decodes the images")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["-i", six, "-o", png]
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        return try Self.canvas(PNGImage.read(path: png))
    }

    /// Kitty: `ESC _ G keys [; base64] ESC \` chunks; the first names the size (s, v), format
    /// (f=32 RGBA or f=24 RGB) and compression (o=z: zlib, inflated here by Python's zlib); each
    /// chunk's base64 is decoded on its own and the bytes concatenate.
    static func decodeKitty(_ bytes: [UInt8]) throws -> RGBCanvas {
        var keys: [String: String] = [:]
        var data: [UInt8] = []
        let all = Data(bytes)
        let open = Data("\u{1B}_G".utf8), close = Data("\u{1B}\\".utf8)
        var from = all.startIndex
        while let o = all.range(of: open, in: from..<all.endIndex), let c = all.range(of: close, in: o.upperBound..<all.endIndex) {
            let body = String(decoding: all[o.upperBound..<c.lowerBound], as: UTF8.self)
            let parts = body.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            for kv in parts[0].split(separator: ",") {
                let pair = kv.split(separator: "=", maxSplits: 1)
                if pair.count == 2, keys[String(pair[0])] == nil { keys[String(pair[0])] = String(pair[1]) }
            }
            if parts.count == 2 { data += [UInt8](try XCTUnwrap(Data(base64Encoded: String(parts[1])), "base64 chunk")) }
            from = c.upperBound
        }
        let width = try XCTUnwrap(keys["s"].flatMap { Int($0) }), height = try XCTUnwrap(keys["v"].flatMap { Int($0) })
        let channels = keys["f"] == "24" ? 3 : 4
        if keys["o"] == "z" { data = try inflate(data) }
        XCTAssertEqual(keys["a"], "T", "transmit and display")
        XCTAssertEqual(data.count, width * height * channels)
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) { for c in 0..<3 { rgb[3 * p + c] = data[channels * p + c] } }
        return RGBCanvas(width: width, height: height, pixels: rgb)
    }

    /// zlib data inflated by another implementation than the one that deflated it.
    static func inflate(_ data: [UInt8]) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input; p.standardOutput = output
        try p.run()
        let writer = Thread { input.fileHandleForWriting.write(Data(data)); try? input.fileHandleForWriting.close() }
        writer.start()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "zlib stream")
        return [UInt8](out)
    }

    static func canvas(_ png: PNGImage) -> RGBCanvas {
        var rgb = [UInt8](repeating: 0, count: png.width * png.height * 3)
        for p in 0..<(png.width * png.height) { for c in 0..<3 { rgb[3 * p + c] = png.pixels[png.channels * p + min(c, png.channels - 1)] } }
        return RGBCanvas(width: png.width, height: png.height, pixels: rgb)
    }

    /// The slice as `densecell export` draws it (no heading, titles or legend: the panel sits
    /// at the 10-pixel margin).
    /// Overlays at the viewer's first opacity, 0.45.
    func exported(z: Int, pane: String = "image") throws -> RGBCanvas {
        let out = dir + "/export"
        let r = try CLI.run(["export", dir + "/p.h5", "--z", "\(z)", "--panes", pane, "--alpha", "0.45", "--no-titles", "--no-legend",
                             "--title", "", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let figure = Self.canvas(try PNGImage.read(path: out + "/p-z\(String(format: "%03d", z))-\(pane).png"))
        var panel = RGBCanvas(width: 128, height: 96)
        for y in 0..<96 { for x in 0..<128 { panel[x, y] = figure[10 + x, 10 + y] } }
        return panel
    }

    /// How a decoded pane's slice differs from the export's: per channel, mean and largest; the
    /// largest difference of tint (blue or red minus luma); the gray levels each shows.
    struct Difference { var mean: Double, max: Int, tint: Int, grays: Int, exportGrays: Int }

    /// Compares the slice inside a decoded pane image with the export raster at the same size,
    /// outside the cursor mark.
    func compare(_ decoded: RGBCanvas, with panel: RGBCanvas, file: StaticString = #filePath, line: UInt = #line) throws -> Difference {
        // The slice is where the pixels are not the surround; around it the pane is empty.
        func isSurround(_ c: RGB) -> Bool { [c.r, c.g, c.b].allSatisfy { abs(Int($0) - Int(Self.surround)) <= 6 } }
        let columns = (0..<decoded.width).filter { x in (0..<decoded.height).contains { !isSurround(decoded[x, $0]) } }
        let rows = (0..<decoded.height).filter { y in (0..<decoded.width).contains { !isSurround(decoded[$0, y]) } }
        let x0 = try XCTUnwrap(columns.first, file: file, line: line), x1 = columns.last! + 1
        let y0 = try XCTUnwrap(rows.first, file: file, line: line), y1 = rows.last! + 1
        let w = x1 - x0, h = y1 - y0
        // Full pixel size: the slice enlarged by the largest whole factor that fits the pane.
        let factor = w / 128
        XCTAssertEqual(w, 128 * factor, file: file, line: line)
        XCTAssertEqual(h, 96 * factor, "aspect of \(w)×\(h)", file: file, line: line)
        XCTAssertTrue(128 * (factor + 1) > decoded.width || 96 * (factor + 1) > decoded.height, "fit: \(w)×\(h) in \(decoded.width)×\(decoded.height)", file: file, line: line)
        XCTAssertGreaterThanOrEqual(factor, 2, "enlarged past the image resolution, not drawn with characters", file: file, line: line)
        let expected = panel.resampled(width: w, height: h)
        // The cursor's cross at the slice centre is the viewer's own mark, left out.
        let zoom = Double(w) / 128
        let cx = Int(64.5 * zoom), cy = Int(48.5 * zoom)
        var sum = 0, n = 0, worst = 0, tint = 0
        var grays = Set<UInt8>(), exportGrays = Set<UInt8>()
        func luma(_ c: RGB) -> Int { (77 * Int(c.r) + 150 * Int(c.g) + 29 * Int(c.b) + 128) >> 8 }
        for y in 0..<h { for x in 0..<w where abs(x - cx) > 8 || abs(y - cy) > 8 {
            let a = decoded[x0 + x, y0 + y], b = expected[x, y]
            for (p, q) in [(a.r, b.r), (a.g, b.g), (a.b, b.b)] {
                let d = abs(Int(p) - Int(q)); sum += d; n += 1; worst = max(worst, d)
            }
            let la = luma(a), lb = luma(b)
            tint = max(tint, abs((Int(a.b) - la) - (Int(b.b) - lb)), abs((Int(a.r) - la) - (Int(b.r) - lb)))
            if a.r == a.g && a.g == a.b { grays.insert(a.r) }
            if b.r == b.g && b.g == b.b { exportGrays.insert(b.r) }
        } }
        return Difference(mean: Double(sum) / Double(n), max: worst, tint: tint, grays: grays.count, exportGrays: exportGrays.count)
    }

    func testSixelPanesMatchTheExportRaster() throws {
        let (out, report) = try runViewer(answer: "sixel", steps: ["image", "key:j", "image", "key:m", "sleep:0.5", "key:q"],
                                          extra: ["--graphics", "sixel"])
        XCTAssertEqual(report["status"] as? Int, 0)
        let images = Self.placedImages(out)
        XCTAssertFalse(images.isEmpty, "no images written")
        XCTAssertTrue(images.allSatisfy { $0.bytes.starts(with: Array("\u{1B}P".utf8)) }, "sixel DCS sequences")
        // The image pane is the first pane: its pixels start under the header and its title.
        let panes = images.filter { $0.row == 3 && $0.col == 1 }
        XCTAssertEqual(panes.count, 2, "sent at start and after j, not again for m (the metrics tab)")
        let positions = Set(images.map { "\($0.row);\($0.col)" })
        XCTAssertEqual(images.count, 2 * positions.count, "each pane sent once per slice")
        for (z, pane) in zip([0, 1], panes) {
            let decoded = try decodeSixel(pane.bytes)
            XCTAssertEqual(decoded.width % Self.cell.width, 0, "whole cells wide")
            XCTAssertEqual(decoded.height % 6, 0, "whole sixel bands")
            let d = try compare(decoded, with: try exported(z: z))
            print("sixel image z \(z): \(decoded.width)×\(decoded.height) pixels, \(pane.bytes.count) bytes, mean difference \(d.mean), largest \(d.max), \(d.grays) gray levels of the export's \(d.exportGrays)")
            // 64 levels over the slice's grays (SixelPalette.imageLevels): a step of about 4,
            // so within 2 on average and a step at most, plus sixel's per-cent colours.
            XCTAssertGreaterThanOrEqual(d.exportGrays, 100, "the phantom's slice has more grays than the ramp")
            XCTAssertGreaterThanOrEqual(d.grays, 64, "an image pane keeps 64 gray levels")
            XCTAssertLessThan(d.mean, 2)
            XCTAssertLessThanOrEqual(d.max, 6)
            XCTAssertEqual(d.tint, 0, "gray stays gray")
        }
        // The truth overlay (the second pane of the first frame): gray × tint in the 256
        // registers, every class colour in its place.
        let overlay = try decodeSixel(images[1].bytes)
        let d = try compare(overlay, with: try exported(z: 0, pane: "truth"))
        print("sixel truth overlay z 0: \(images[1].bytes.count) bytes, mean difference \(d.mean), largest \(d.max), tint \(d.tint)")
        // 24 levels over the gray range (SixelPalette.overlayLevels): steps of about 11.
        XCTAssertLessThan(d.mean, 4)
        XCTAssertLessThanOrEqual(d.max, 12)
        XCTAssertLessThanOrEqual(d.tint, 8, "each class keeps its tint (chroma steps of 6, per-cent colours)")
        XCTAssertNotNil(Self.find("sixel", in: out), "the header names the mode")
    }

    func testKittyPanesMatchTheExportRasterExactly() throws {
        let (out, report) = try runViewer(answer: "kitty", steps: ["image", "key:j", "image", "key:q"],
                                          extra: ["--graphics", "kitty"], winsizePixels: true)
        XCTAssertEqual(report["status"] as? Int, 0)
        // Kitty images cover the cells the slice shows in: the image pane's is the top-left one.
        let images = Self.placedImages(out)
        let topLeft = try XCTUnwrap(images.min { ($0.row, $0.col) < ($1.row, $1.col) })
        XCTAssertGreaterThanOrEqual(topLeft.row, 3, "below the header and the pane title")
        let panes = images.filter { $0.row == topLeft.row && $0.col == topLeft.col }
        XCTAssertEqual(panes.count, 2)
        for (z, pane) in zip([0, 1], panes) {
            let decoded = try Self.decodeKitty(pane.bytes)
            XCTAssertEqual(decoded.width % Self.cell.width, 0)
            XCTAssertEqual(decoded.height % Self.cell.height, 0)
            let d = try compare(decoded, with: try exported(z: z))
            print("kitty z \(z): \(decoded.width)×\(decoded.height) pixels, \(pane.bytes.count) bytes, mean difference \(d.mean), largest \(d.max), \(d.grays) gray levels")
            XCTAssertEqual(d.max, 0, "kitty carries the raster losslessly")
            XCTAssertEqual(d.grays, d.exportGrays)
        }
        // The old pane is deleted before the new one is placed; all images go when the viewer quits.
        XCTAssertNotNil(Self.find("\u{1B}_Ga=d,d=P,x=\(topLeft.col),y=\(topLeft.row),q=2\u{1B}\\", in: out))
        let lastDelete = try XCTUnwrap(Self.find("\u{1B}_Ga=d,d=A,q=2\u{1B}\\", in: out, last: true))
        let lastImage = try XCTUnwrap(Self.find("\u{1B}_Gm=0", in: out, last: true))
        XCTAssertGreaterThan(lastDelete, lastImage, "images deleted on the way out")
    }

    /// Where `text` occurs in `bytes` (first or last), searched natively: captures run to megabytes.
    static func find(_ text: String, in bytes: [UInt8], last: Bool = false) -> Int? {
        Data(bytes).range(of: Data(text.utf8), options: last ? [.backwards] : [])?.lowerBound
    }

    func testBadGraphicsModeIsRefused() throws {
        let r = try CLI.run(["view", dir + "/p.h5", "--graphics", "retina"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("retina") && r.stderr.contains("sixel"), r.stderr)
    }

    func testResizeAsksForTheCellSizeAgainAndSendsEveryPane() throws {
        let (out, report) = try runViewer(answer: "sixel", steps: ["image", "resize:160x50", "image", "sleep:0.5", "key:q"],
                                          extra: ["--graphics", "sixel"])
        XCTAssertEqual(report["status"] as? Int, 0)
        let answered = try XCTUnwrap(report["answered"] as? [String: Int])
        XCTAssertEqual(answered["cell"], 2, "CSI 16 t at start and again after the resize")
        let images = Self.placedImages(out)
        // Every pane sent again, at the new layout's places.
        let panesBefore = Set(images.prefix(4).map { "\($0.row);\($0.col)" })   // 2×2 panes at 120×40
        let placesAfter = Set(images.suffix(images.count - panesBefore.count).map { "\($0.row);\($0.col)" })
        XCTAssertFalse(placesAfter.isSubset(of: panesBefore), "new places after the resize: \(panesBefore) then \(placesAfter)")
        // After the resize the panes are wider: the first pane's image grows with them.
        let first = images.filter { $0.row == 3 && $0.col == 1 }
        XCTAssertGreaterThanOrEqual(first.count, 2)
        let small = try decodeSixel(first[0].bytes), large = try decodeSixel(first.last!.bytes)
        XCTAssertGreaterThan(large.width, small.width)
        XCTAssertEqual(large.width % Self.cell.width, 0)
    }

    func testAutoPicksWhatTheTerminalAnswers() throws {
        let (kittyOut, _) = try runViewer(answer: "kitty", steps: ["image", "key:q"], extra: ["--graphics", "auto"])
        XCTAssertTrue(Self.placedImages(kittyOut).allSatisfy { $0.bytes.starts(with: Array("\u{1B}_G".utf8)) })
        XCTAssertNotNil(Self.find("kitty", in: kittyOut), "the header names the mode")
        let (sixelOut, _) = try runViewer(answer: "sixel", steps: ["image", "key:q"], extra: [])
        XCTAssertTrue(Self.placedImages(sixelOut).allSatisfy { $0.bytes.starts(with: Array("\u{1B}P".utf8)) })
    }

    func testAutoFallsBackToBlocksWhenTheTerminalDoesNotAnswer() throws {
        let (out, report) = try runViewer(answer: "none", steps: ["text:blocks", "text:▀", "key:q"], extra: ["--graphics", "auto"])
        XCTAssertEqual(report["status"] as? Int, 0)
        let text = String(decoding: out, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("\u{1B}_Gi=31,"), "the kitty query goes first")
        XCTAssertTrue(text.contains("\u{1B}[c"), "then the device attributes")
        XCTAssertTrue(text.contains("▀"), "half blocks drawn")
        XCTAssertTrue(Self.placedImages(out).isEmpty, "no images")
        let events = try XCTUnwrap(report["events"] as? [String: Double])
        let waited = try XCTUnwrap(events["screen_open"]) - (try XCTUnwrap(events["da1_query"]))
        print("no answer: the screen opened \(Int(waited * 1000)) ms after the query")
        XCTAssertLessThan(waited, 5, "gave up waiting instead of hanging")
    }
}
