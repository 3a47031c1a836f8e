import Foundation

/// The interactive loop: keys and mouse → actions → state → screen grid → terminal.
public enum ViewerApp {
    /// Runs until `q`, Ctrl-C, SIGINT/SIGTERM/SIGHUP or an error; the terminal is restored on
    /// every one of these ways out. Returns the signal that ended the viewer, if one did.
    @discardableResult
    public static func run(_ session: ViewerSession, colors: ColorMode? = nil) throws -> Int32? {
        let screen = try TerminalScreen(colors: colors)
        defer { screen.close() }
        session.send(.resize(cols: screen.cols, rows: screen.rows))
        var dirty = true
        while !session.state.quitRequested && !screen.signalled {
            if session.processJobEvents() { dirty = true }
            if dirty {
                screen.draw(session.frame())
                dirty = false
            }
            // Short waits while a job reports, so tiles appear as they finish.
            guard let event = screen.read(timeoutMs: session.isJobRunning ? 60 : 200) else { continue }
            dirty = true
            switch event {
            case .resize: session.send(.resize(cols: screen.cols, rows: screen.rows))
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
        session.flushCache()
        return screen.signal
    }
}
