import DenseCellCore
import DenseCellIO
import Foundation
import XCTest

/// A real terminal emulator on an X server of its own, for checking what the viewer's pixels
/// look like on screen: Xvfb on a free display, xterm (VT340 sixel, 256 colour registers) or
/// kitty (software OpenGL) running a command, screenshots by ImageMagick's `import`, and the
/// slice located in them. Debian's xvfb, xterm, kitty and imagemagick (`make deps`).
final class RealTerminal {
    enum Emulator: String { case xterm, kitty }

    /// The terminal's background: a colour no pane pixel has (panes are gray or tinted gray
    /// around a gray surround), so the image pane stands out as a region of gray pixels.
    static let background = RGB(0x20, 0x3A, 0x5C)
    static let xvfb = "/usr/bin/Xvfb", importTool = "/usr/bin/import"

    /// The programs `emulator` needs that are not installed (empty when all are).
    static func missing(_ emulator: Emulator) -> [String] {
        [xvfb, "/usr/bin/\(emulator.rawValue)", importTool].filter { !FileManager.default.isExecutableFile(atPath: $0) }
    }

    let display: String
    private let server: Process
    private var terminal: Process?

    /// Starts Xvfb on the first free display from :90 and waits for its socket.
    init(width: Int = 1600, height: Int = 1000) throws {
        let fm = FileManager.default
        guard let n = (90..<190).first(where: { !fm.fileExists(atPath: "/tmp/.X11-unix/X\($0)") && !fm.fileExists(atPath: "/tmp/.X\($0)-lock") }) else {
            throw XCTSkip("no free X display")
        }
        display = ":\(n)"
        server = Process()
        server.executableURL = URL(fileURLWithPath: Self.xvfb)
        server.arguments = [display, "-screen", "0", "\(width)x\(height)x24", "-nolisten", "tcp"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        let deadline = Date().addingTimeInterval(10)
        while !fm.fileExists(atPath: "/tmp/.X11-unix/X\(n)") {
            guard server.isRunning, Date() < deadline else { stop(); throw XCTSkip("Xvfb did not start on \(display)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    deinit { stop() }

    /// Opens `emulator` at the screen's top-left corner, `cols`×`rows` cells, no border or
    /// padding, running `command` in `directory`.
    func launch(_ emulator: Emulator, cols: Int, rows: Int, command: [String], directory: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/\(emulator.rawValue)")
        let bg = String(format: "#%02x%02x%02x", Self.background.r, Self.background.g, Self.background.b)
        switch emulator {
        case .xterm:
            p.arguments = ["-display", display, "-ti", "vt340", "-xrm", "XTerm*numColorRegisters: 256",
                           "-xrm", "XTerm*maxGraphicSize: 4000x4000", "-bg", bg, "-fg", "white", "-b", "0",
                           "-geometry", "\(cols)x\(rows)+0+0", "-e"] + command
        case .kitty:
            p.arguments = ["--config", "NONE", "-o", "background=\(bg)", "-o", "foreground=#ffffff", "-o", "remember_window_size=no",
                           "-o", "initial_window_width=\(cols)c", "-o", "initial_window_height=\(rows)c", "-o", "window_padding_width=0",
                           "-o", "placement_strategy=top-left"] + command
        }
        var environment = ProcessInfo.processInfo.environment.filter { !["TMUX", "DENSECELL_GRAPHICS", "COLORTERM", "TERM"].contains($0.key) }
        environment["DISPLAY"] = display
        environment["LIBGL_ALWAYS_SOFTWARE"] = "1"   // kitty needs OpenGL 3.3: Mesa's llvmpipe
        p.environment = environment
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        terminal = p
    }

    /// Whether the terminal is still running.
    var terminalRunning: Bool { terminal?.isRunning ?? false }

    /// The whole screen, saved as PNG at `path`.
    func screenshot(to path: String) throws -> RGBCanvas {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.importTool)
        p.arguments = ["-display", display, "-window", "root", "png24:" + path]
        p.standardError = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw XCTSkip("import could not read \(display)") }
        return ViewGraphicsTests.canvas(try PNGImage.read(path: path))
    }

    /// Takes screenshots until `find` sees what it looks for in two in a row alike (the frame
    /// has settled), or `timeout` passes.
    /// - Returns: the last screenshot and what `find` returned, or nil on timeout.
    func waitFor<T: Equatable>(timeout: TimeInterval, path: String, _ find: (RGBCanvas) -> T?) throws -> (shot: RGBCanvas, found: T)? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: (RGBCanvas, T)?
        while Date() < deadline {
            let shot = try screenshot(to: path)
            if let found = find(shot) {
                if let (previous, seen) = last, seen == found, previous.pixels == shot.pixels { return (shot, found) }
                last = (shot, found)
            } else {
                last = nil
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return nil
    }

    /// Ends the terminal and the X server (only the processes this object started).
    func stop() {
        for p in [terminal, server].compactMap({ $0 }) where p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        terminal = nil
    }

    /// The slice of the image pane on screen: inside the terminal's window (where its
    /// background is; the root window around it is black), the first region of gray pixels from
    /// the top left at least `minimum` pixels on each side that shows at least 32 gray levels,
    /// trimmed of the viewer's surround.
    static func locateSlice(in shot: RGBCanvas, surround: RGB, minimum: Int = 64) -> PixelRect? {
        let w = shot.width, h = shot.height
        var window = (x0: w, y0: h, x1: -1, y1: -1)
        for y in 0..<h { for x in 0..<w where shot[x, y] == background {
            window = (min(window.x0, x), min(window.y0, y), max(window.x1, x), max(window.y1, y))
        } }
        guard window.x1 >= 0 else { return nil }
        var gray = [Bool](repeating: false, count: w * h)
        shot.pixels.withUnsafeBufferPointer { p in
            for y in window.y0...window.y1 { for x in window.x0...window.x1 {
                let i = y * w + x
                gray[i] = p[3 * i] == p[3 * i + 1] && p[3 * i + 1] == p[3 * i + 2]
            } }
        }
        var visited = [Bool](repeating: false, count: w * h)
        for y in 0..<h {
            var x = 0
            while x < w {
                // Runs of gray at least `minimum` long seed a region (text is shorter).
                guard gray[y * w + x], !visited[y * w + x] else { x += 1; continue }
                var end = x
                while end < w && gray[y * w + end] { end += 1 }
                defer { x = end }
                guard end - x >= minimum else { continue }
                // The 4-connected gray region from there.
                var stack = [y * w + x]
                visited[y * w + x] = true
                var perRow = [Int](repeating: 0, count: h), perColumn = [Int](repeating: 0, count: w)
                var levels = Set<UInt8>()
                while let i = stack.popLast() {
                    let px = i % w, py = i / w
                    let c = shot[px, py]
                    if c != surround { perRow[py] += 1; perColumn[px] += 1; levels.insert(c.r) }
                    for (nx, ny) in [(px - 1, py), (px + 1, py), (px, py - 1), (px, py + 1)] where nx >= 0 && ny >= 0 && nx < w && ny < h {
                        let j = ny * w + nx
                        if gray[j] && !visited[j] { visited[j] = true; stack.append(j) }
                    }
                }
                // The slice's rows and columns are full; glyphs of a title touching it are not.
                let rows = perRow.indices.filter { perRow[$0] >= minimum }, columns = perColumn.indices.filter { perColumn[$0] >= minimum }
                if let y0 = rows.first, let y1 = rows.last, let x0 = columns.first, let x1 = columns.last,
                   x1 - x0 + 1 >= minimum, y1 - y0 + 1 >= minimum, levels.count >= 32 {
                    return PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
                }
            }
        }
        return nil
    }

    /// How a region of a screenshot differs from a raster of the same size, per channel,
    /// outside `excluded` (the cursor's mark).
    struct Difference: CustomStringConvertible {
        var mean: [Double], max: [Int]
        var description: String {
            "mean difference r \(String(format: "%.2f", mean[0])) g \(String(format: "%.2f", mean[1])) b \(String(format: "%.2f", mean[2])), "
                + "largest r \(max[0]) g \(max[1]) b \(max[2])"
        }
    }

    static func difference(_ shot: RGBCanvas, at rect: PixelRect, from expected: RGBCanvas, excluding excluded: PixelRect) -> Difference {
        var sum = [0, 0, 0], worst = [0, 0, 0], n = 0
        for y in 0..<rect.height { for x in 0..<rect.width where !excluded.contains(x: x, y: y) {
            let a = shot[rect.x + x, rect.y + y], b = expected[x, y]
            for (c, (p, q)) in [(a.r, b.r), (a.g, b.g), (a.b, b.b)].enumerated() {
                let d = abs(Int(p) - Int(q)); sum[c] += d; worst[c] = max(worst[c], d)
            }
            n += 1
        } }
        return Difference(mean: sum.map { Double($0) / Double(max(1, n)) }, max: worst)
    }
}
