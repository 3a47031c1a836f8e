import Foundation

/// Progress of long work on stderr: a redrawn bar with rate and ETA on a terminal, plain
/// periodic lines otherwise (logs, CI), so output stays readable either way.
final class ProgressBar: @unchecked Sendable {
    let label: String
    let total: Double
    let unit: String
    let interactive: Bool
    let start = Date()
    private var lastDraw = Date.distantPast
    private var lastLinePercent = -1
    private let lock = NSLock()

    /// `unit` names what is counted for the rate ("voxels", "slices", "steps").
    init(_ label: String, total: Int, unit: String = "") {
        self.label = label
        self.total = Double(max(1, total))
        self.unit = unit
        interactive = isatty(2) == 1
    }

    /// Reports `done` of `total`; cheap to call often (redraws at most 10× a second).
    func update(_ done: Int, detail: String = "") {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        let fraction = min(1, Double(done) / total)
        if interactive {
            guard now.timeIntervalSince(lastDraw) >= 0.1 || done >= Int(total) else { return }
            lastDraw = now
            let width = 28
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let line = "\r\(label) \(bar) \(String(format: "%3.0f%%", fraction * 100)) \(rate(done, now)) \(eta(fraction, now))\(detail.isEmpty ? "" : "  " + detail)"
            FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        } else {
            // Lines at every 10 %: enough to follow a job in a log without flooding it.
            let percent = Int(fraction * 10) * 10
            guard percent > lastLinePercent else { return }
            lastLinePercent = percent
            FileHandle.standardError.write(Data("\(label): \(percent)% \(rate(done, now)) \(eta(fraction, now))\(detail.isEmpty ? "" : "  " + detail)\n".utf8))
        }
    }

    /// Ends the bar with the elapsed time.
    func finish(_ summary: String = "") {
        lock.lock(); defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(start)
        let text = "\(label): done in \(Self.duration(elapsed))\(summary.isEmpty ? "" : " — " + summary)"
        FileHandle.standardError.write(Data(((interactive ? "\r" : "") + text + (interactive ? "\u{1B}[K" : "") + "\n").utf8))
    }

    func rate(_ done: Int, _ now: Date) -> String {
        let s = now.timeIntervalSince(start)
        guard s > 0.05, !unit.isEmpty else { return "" }
        let r = Double(done) / s
        let text = r >= 1e6 ? String(format: "%.2fM", r / 1e6) : r >= 1e3 ? String(format: "%.1fk", r / 1e3) : String(format: "%.1f", r)
        return "\(text) \(unit)/s"
    }

    func eta(_ fraction: Double, _ now: Date) -> String {
        let s = now.timeIntervalSince(start)
        guard fraction > 0.001, fraction < 1 else { return "" }
        return "ETA " + Self.duration(s / fraction - s)
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let m = Int(seconds) / 60, s = Int(seconds) % 60
        if m < 60 { return "\(m)m\(String(format: "%02d", s))s" }
        return "\(m / 60)h\(String(format: "%02d", m % 60))m"
    }
}
