import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a terminal said about its pixel graphics when asked.
struct TerminalCapabilities: Equatable, Sendable {
    /// Answered kitty's graphics query with OK.
    var kitty = false
    /// Lists attribute 4 (sixel) in its primary device attributes.
    var sixel = false
    /// A cell's size in pixels, from the window size or from `CSI 16 t`.
    var cellSize: CellSize? = nil
    /// Answered the device attributes query at all (every real terminal does).
    var answered = false
    init(kitty: Bool = false, sixel: Bool = false, cellSize: CellSize? = nil, answered: Bool = false) {
        self.kitty = kitty; self.sixel = sixel; self.cellSize = cellSize; self.answered = answered
    }
}

/// Asks the terminal which image protocols it speaks and how large its cells are: kitty's
/// graphics query, `CSI 16 t` (cell size) and last the primary device attributes (DA1), which
/// every terminal answers, so its reply ends the wait. Gives up after `timeout`.
enum TerminalProbe {
    static let timeout: TimeInterval = 0.15
    static let kittyQuery = "\u{1B}_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\u{1B}\\"
    static let cellSizeQuery = "\u{1B}[16t"
    static let deviceAttributesQuery = "\u{1B}[c"

    /// Reads the replies in `bytes`: kitty's `ESC _ G i=31;OK ESC \`, `CSI 6 ; height ; width t`
    /// and DA1 `CSI ? 62 ; 4 ; … c`. Anything else (keys typed meanwhile) is ignored.
    static func parse(_ bytes: [UInt8]) -> TerminalCapabilities {
        var caps = TerminalCapabilities()
        var i = 0
        while i + 1 < bytes.count {
            guard bytes[i] == 0x1B else { i += 1; continue }
            if bytes[i + 1] == UInt8(ascii: "_") {
                // APC … ST: a kitty graphics reply.
                var j = i + 2
                while j + 1 < bytes.count, !(bytes[j] == 0x1B && bytes[j + 1] == UInt8(ascii: "\\")) { j += 1 }
                let body = String(decoding: bytes[(i + 2)..<min(j, bytes.count)], as: UTF8.self)
                if body.hasPrefix("G"), body.contains("i=31"), body.hasSuffix(";OK") { caps.kitty = true }
                i = j + 2
            } else if bytes[i + 1] == UInt8(ascii: "[") {
                // CSI parameters final-byte.
                var j = i + 2
                while j < bytes.count, !(0x40...0x7E).contains(bytes[j]) { j += 1 }
                guard j < bytes.count else { break }
                let params = String(decoding: bytes[(i + 2)..<j], as: UTF8.self)
                switch bytes[j] {
                case UInt8(ascii: "c") where params.hasPrefix("?"):
                    caps.answered = true
                    caps.sixel = params.dropFirst().split(separator: ";").contains("4")
                case UInt8(ascii: "t"):
                    let p = params.split(separator: ";").compactMap { Int($0) }
                    if p.count == 3, p[0] == 6, p[1] > 0, p[2] > 0 { caps.cellSize = CellSize(width: p[2], height: p[1]) }
                default: break
                }
                i = j + 1
            } else {
                i += 1
            }
        }
        return caps
    }

    /// The cell size from the kernel's window size, when the terminal fills in its pixel fields.
    static func windowCellSize(fd: Int32 = 1) -> CellSize? {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0, ws.ws_xpixel > 0, ws.ws_ypixel > 0 else { return nil }
        return CellSize(width: Int(ws.ws_xpixel) / Int(ws.ws_col), height: Int(ws.ws_ypixel) / Int(ws.ws_row))
    }

    /// Sends the queries and collects the replies until DA1 arrives or `timeout` passes.
    /// - Parameters:
    ///   - protocols: ask for kitty graphics and sixel support (else only the cell size).
    ///   - input: the terminal's input descriptor, switched to non-canonical mode meanwhile.
    ///   - output: where the queries go.
    /// - Returns: what the terminal answered; the window size's cell size wins over `CSI 16 t`.
    static func probe(protocols: Bool, input: Int32 = 0, output: Int32 = 1,
                             timeout: TimeInterval = TerminalProbe.timeout) -> TerminalCapabilities {
        let fromWindow = windowCellSize(fd: output)
        if !protocols, let fromWindow { return TerminalCapabilities(cellSize: fromWindow) }
        var saved = termios()
        let haveTermios = tcgetattr(input, &saved) == 0
        if haveTermios {
            var raw = saved
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
            withUnsafeMutableBytes(of: &raw.c_cc) { cc in cc[Int(VMIN)] = 0; cc[Int(VTIME)] = 0 }
            tcsetattr(input, TCSANOW, &raw)
        }
        defer { if haveTermios { tcsetattr(input, TCSANOW, &saved) } }
        let query = (protocols ? kittyQuery : "") + (fromWindow == nil ? cellSizeQuery : "") + deviceAttributesQuery
        _ = query.utf8CString.withUnsafeBufferPointer { write(output, $0.baseAddress, $0.count - 1) }
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { break }
            var pfd = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(max(1, (left * 1000).rounded(.up))))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            let n = read(input, &buffer, buffer.count)
            guard n > 0 else { break }
            received += buffer[0..<n]
            if parse(received).answered { break }
        }
        var caps = parse(received)
        if let fromWindow { caps.cellSize = fromWindow }
        return caps
    }

    /// The mode to draw with: the one asked for, or for `auto` what the terminal answered
    /// (kitty, then sixel, else half blocks; half blocks inside tmux, which passes neither).
    /// Pixel modes need the cell size; without it the viewer falls back to half blocks.
    /// - Returns: the mode, its cell size, and a remark for the footer when the choice fell back.
    static func choose(_ choice: GraphicsChoice, environment: [String: String],
                              probe: (_ protocols: Bool) -> TerminalCapabilities) -> (mode: GraphicsMode, cell: CellSize, remark: String?) {
        switch choice {
        case .fixed(.blocks): return (.blocks, .halfBlock, nil)
        case .fixed(let mode):
            guard let cell = probe(false).cellSize else {
                return (.blocks, .halfBlock, "\(mode.rawValue) needs the cell size in pixels, which the terminal did not tell: drawing with half blocks")
            }
            return (mode, cell, nil)
        case .auto:
            if let tmux = environment["TMUX"], !tmux.isEmpty { return (.blocks, .halfBlock, nil) }
            let caps = probe(true)
            guard caps.kitty || caps.sixel else { return (.blocks, .halfBlock, nil) }
            guard let cell = caps.cellSize else { return (.blocks, .halfBlock, "the terminal did not tell its cell size in pixels: drawing with half blocks") }
            return (caps.kitty ? .kitty : .sixel, cell, nil)
        }
    }
}
