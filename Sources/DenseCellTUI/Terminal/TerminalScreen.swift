import CNcurses
import Foundation

enum InputEvent: Sendable, Equatable {
    case key(Key)
    case mouse(MouseEvent)
    case resize
}

/// The viewer could not open the terminal (not a terminal, or curses could not initialise it).
public struct TerminalError: Error, CustomStringConvertible {
    /// The message, naming what failed.
    public var description: String
}

/// The ncurses backend: blits screen grids, drawing only cells that changed, and reads keys
/// and mouse events. `close()` restores the terminal; call it on every way out.
final class TerminalScreen {
    let colorMode: ColorMode
    private var previous: [Cell] = []
    private var previousPair: [Int32] = []
    private var previousGeneration: [UInt32] = []
    private var size = (cols: 0, rows: 0)
    private var frame = 0
    private let pairs: ColorPairs
    private var open = true
    private(set) var cellsDrawnLastFrame = 0
    private var clearBeforeNextDraw = false
    /// Written just before the screen closes (e.g. deleting kitty images).
    var lastWords: [UInt8] = []

    /// - Parameter colors: nil picks the best the terminal offers: 24-bit when terminfo says so,
    ///   or when COLORTERM announces it and a direct-color terminfo of the same family exists.
    init(colors forceMode: ColorMode? = nil) throws {
        guard isatty(1) != 0, isatty(0) != 0 else {
            throw TerminalError(description: "the viewer needs a terminal (stdin and stdout are not one)")
        }
        if forceMode == nil || forceMode == .direct { Self.preferDirectColor(forced: forceMode == .direct) }
        setlocale(LC_ALL, "")
        dc_install_signal_handlers()
        setenv("ESCDELAY", "25", 0)
        guard initscr() != nil else { throw TerminalError(description: "cannot initialise the terminal (TERM=\(ProcessInfo.processInfo.environment["TERM"] ?? "unset"))") }
        raw(); noecho(); keypad(dc_stdscr(), true); curs_set(0)
        _ = mousemask(mmask_t(dc_all_mouse_events()), nil)
        mouseinterval(0)
        let utf8 = String(cString: nl_langinfo(nl_item(CODESET))).uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        var mode: ColorMode = .ascii
        if has_colors() {
            start_color()
            use_default_colors()
            if dc_colors() >= 0x1000000 { mode = .direct } else if dc_colors() >= 256 { mode = .palette256 }
        }
        if !utf8 { mode = .ascii }
        // A palette cannot be chosen on a direct-color terminal: its color numbers are RGB values.
        if let forceMode, !(mode == .direct && forceMode == .palette256) { mode = forceMode }
        colorMode = mode
        pairs = ColorPairs(capacity: Int(min(dc_color_pairs(), 65535))) { pair, fg, bg in
            _ = init_extended_pair(pair, fg, bg)
        }
    }

    /// Switches TERM to the family's direct-color entry (xterm-direct, tmux-direct) when the
    /// terminal announces 24-bit color in COLORTERM, or when asked to.
    static func preferDirectColor(forced: Bool) {
        let env = ProcessInfo.processInfo.environment
        guard let term = env["TERM"], !term.hasSuffix("-direct") else { return }
        let announced = ["truecolor", "24bit"].contains((env["COLORTERM"] ?? "").lowercased())
        guard announced || forced, let family = ["xterm", "tmux"].first(where: { term.hasPrefix($0) }) else { return }
        let candidate = family + "-direct"
        if terminfoExists(candidate) { setenv("TERM", candidate, 1) }
    }

    static func terminfoExists(_ name: String) -> Bool {
        let env = ProcessInfo.processInfo.environment
        var dirs = ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", "/usr/lib/terminfo"]
        if let home = env["HOME"] { dirs.insert(home + "/.terminfo", at: 0) }
        if let t = env["TERMINFO"] { dirs.insert(t, at: 0) }
        let first = String(name.prefix(1))
        let hex = String(format: "%02x", Int(name.unicodeScalars.first!.value))
        return dirs.contains { dir in
            FileManager.default.fileExists(atPath: "\(dir)/\(first)/\(name)") || FileManager.default.fileExists(atPath: "\(dir)/\(hex)/\(name)")
        }
    }

    var cols: Int { Int(dc_cols()) }
    var rows: Int { Int(dc_lines()) }

    /// Whether SIGINT, SIGTERM or SIGHUP arrived.
    var signalled: Bool { dc_signal_received() != 0 }
    var signal: Int32? { dc_signal_received() != 0 ? dc_signal_received() : nil }

    func close() {
        guard open else { return }
        open = false
        if !lastWords.isEmpty { writeRaw(lastWords) }
        curs_set(1)
        endwin()
    }

    deinit { close() }

    /// Waits up to `timeoutMs` for input, or until `wake` becomes readable (or a signal arrives):
    /// nil then. Keys ncurses holds already (a paste, the rest of an escape sequence, a resize)
    /// come first.
    func read(orWakeOn wake: Int32, timeoutMs: Int) -> InputEvent? {
        if let event = read(timeoutMs: 0) { return event }
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        guard poll(&fds, nfds_t(fds.count), Int32(timeoutMs)) > 0, fds[0].revents != 0 else { return nil }
        return read(timeoutMs: 0)
    }

    /// Waits up to `timeoutMs` for input.
    func read(timeoutMs: Int) -> InputEvent? {
        wtimeout(dc_stdscr(), Int32(timeoutMs))
        var ch: UInt32 = 0
        let r = dc_get_wch(&ch)
        if r == ERR { return nil }
        if r == KEY_CODE_YES {
            switch Int32(ch) {
            case dc_key_resize(): return .resize
            case dc_key_mouse():
                var x: Int32 = 0, y: Int32 = 0, state: UInt = 0
                guard dc_get_mouse(&x, &y, &state) == OK else { return nil }
                if state & dc_button4_pressed() != 0 { return .mouse(.wheelUp) }
                if dc_button5_pressed() != 0 && state & dc_button5_pressed() != 0 { return .mouse(.wheelDown) }
                if state & (dc_button1_pressed() | dc_button1_clicked()) != 0 { return .mouse(.click(row: Int(y), col: Int(x))) }
                return nil
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_BTAB: return .key(.tab)
            case KEY_ENTER: return .key(.enter)
            case KEY_BACKSPACE: return .key(.backspace)
            default: return nil
            }
        }
        switch ch {
        case 3: return .key(.interrupt)
        case 9: return .key(.tab)
        case 27: return .key(.escape)
        case 10, 13: return .key(.enter)
        case 8, 127: return .key(.backspace)
        default:
            guard let scalar = Unicode.Scalar(ch) else { return nil }
            return .key(.char(Character(scalar)))
        }
    }

    /// Makes the next `draw` clear the whole screen first (which also wipes sixel images).
    func clearBeforeDraw() { clearBeforeNextDraw = true }

    /// Writes bytes straight to the terminal, after ncurses has sent its own (image sequences).
    func writeRaw(_ bytes: [UInt8]) {
        var offset = 0
        bytes.withUnsafeBytes { b in
            while offset < b.count {
                let n = write(1, b.baseAddress! + offset, b.count - offset)
                if n < 0 { if errno == EINTR || errno == EAGAIN { continue } else { return } }
                offset += n
            }
        }
    }

    /// Draws the grid, sending only cells whose content or color pair changed.
    func draw(_ grid: ScreenGrid) {
        frame += 1
        let n = grid.width * grid.height
        if grid.width != size.cols || grid.height != size.rows || previous.count != n || clearBeforeNextDraw {
            clearBeforeNextDraw = false
            size = (grid.width, grid.height)
            previous = [Cell](repeating: Cell("\u{0}"), count: n)
            previousPair = [Int32](repeating: -1, count: n)
            previousGeneration = [UInt32](repeating: 0, count: n)
            clearok(dc_stdscr(), true)
            erase()
        }
        var drawn = 0
        let bold = dc_attr_bold(), reverse = dc_attr_reverse(), underline = dc_attr_underline()
        for i in 0..<n {
            let cell = grid.cells[i]
            var char = cell.char
            var fg: Int32 = -1, bg: Int32 = -1
            switch colorMode {
            case .direct:
                if !cell.fg.isDefault { fg = Int32(cell.fg.packed) }
                if !cell.bg.isDefault { bg = Int32(cell.bg.packed) }
            case .palette256:
                if !cell.fg.isDefault { fg = Int32(Palette256.index(cell.fg.packed)) }
                if !cell.bg.isDefault { bg = Int32(Palette256.index(cell.bg.packed)) }
            case .ascii:
                let converted = AsciiFallback.convert(cell)
                char = converted.char
                fg = Int32(converted.color)
            }
            let pair = (fg == -1 && bg == -1) ? 0 : pairs.pair(fg: fg, bg: bg, frame: frame)
            let generation = pair == 0 ? 0 : pairs.generation[Int(pair)]
            if previous[i] == cell && previousPair[i] == pair && previousGeneration[i] == generation { continue }
            var attrs: attr_t = 0
            if cell.attrs.contains(.bold) { attrs |= bold }
            if cell.attrs.contains(.reverse) { attrs |= reverse }
            if cell.attrs.contains(.underline) { attrs |= underline }
            let y = i / grid.width, x = i % grid.width
            // The bottom-right cell cannot be written without scrolling on some terminals.
            if y == grid.height - 1 && x == grid.width - 1 { char = " " }
            _ = dc_put_cell(Int32(y), Int32(x), wchar_t(bitPattern: char.value), pair, attrs)
            previous[i] = cell; previousPair[i] = pair; previousGeneration[i] = generation
            drawn += 1
        }
        cellsDrawnLastFrame = drawn
        wnoutrefresh(dc_stdscr())
        doupdate()
    }
}
