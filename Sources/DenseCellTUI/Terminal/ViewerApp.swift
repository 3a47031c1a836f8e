import Foundation

/// The interactive loop: keys and mouse → actions → state → screen grid → terminal.
public enum ViewerApp {
    /// Runs until `q`, Ctrl-C, SIGINT/SIGTERM/SIGHUP or an error; the terminal is restored on
    /// every one of these ways out. Returns the signal that ended the viewer, if one did.
    /// - Parameters:
    ///   - colors: nil picks the best the terminal offers.
    ///   - graphics: how image panes are drawn; `auto` asks the terminal before the screen opens.
    @discardableResult
    public static func run(_ session: ViewerSession, colors: ColorMode? = nil, graphics: GraphicsChoice = .fixed(.blocks)) throws -> Int32? {
        var chosen: (mode: GraphicsMode, cell: CellSize, remark: String?) = (.blocks, .halfBlock, nil)
        if isatty(0) != 0 && isatty(1) != 0 {
            chosen = TerminalProbe.choose(graphics, environment: ProcessInfo.processInfo.environment) { TerminalProbe.probe(protocols: $0) }
        }
        let screen = try TerminalScreen(colors: colors)
        let images = PaneImageSender(mode: chosen.mode)
        // Kitty keeps images until told otherwise; take them off before the shell comes back.
        if chosen.mode == .kitty { screen.lastWords = PaneImageSender.kittyDeleteAll }
        defer { screen.close() }
        session.send(.resize(cols: screen.cols, rows: screen.rows))
        session.send(.setGraphics(chosen.mode, cell: chosen.cell))
        if let remark = chosen.remark { session.send(.notice(remark)) }
        var dirty = true
        while !session.state.quitRequested && !screen.signalled {
            // Panes holding back new results are sent once their interval has passed.
            if session.applyBackgroundEvents() || images.holdsBack { dirty = true }
            if dirty {
                let frame = session.prepareFrame()
                let grid = session.render(frame)
                let update = images.update(state: session.state, data: frame)
                if update.clearScreen { screen.clearBeforeDraw() }
                screen.draw(grid)
                screen.writeRaw(update.bytes)
                dirty = false
            }
            // Sleeps until a key or background work (planes, counts, jobs) wakes it. A pane held
            // back comes back after a short while; otherwise the timeout only covers a signal
            // arriving just before the wait.
            guard let event = screen.read(orWakeOn: session.wakeDescriptor, timeoutMs: images.holdsBack ? 50 : 500) else { continue }
            dirty = true
            switch event {
            case .resize:
                session.send(.resize(cols: screen.cols, rows: screen.rows))
                if chosen.mode.isPixels {
                    // A new font size changes the cells too.
                    if let cell = TerminalProbe.probe(protocols: false).cellSize { session.send(.setGraphics(chosen.mode, cell: cell)) }
                    images.forget()
                }
            case .key(let key):
                if let action = KeyMap.action(for: key, in: session.state) { session.send(action) }
                else { session.send(.notice("unbound key (? lists the keys)")) }
            case .mouse(let m): session.send(KeyMap.action(for: m))
            }
        }
        screen.close()
        if session.isJobRunning {
            // Keep what finished: stop the job, then let its tiles reach the cache file.
            session.send(.cancelJob)
            session.waitForJob(timeout: 5)
        }
        session.flushExports()
        session.close()
        return screen.signal
    }
}
