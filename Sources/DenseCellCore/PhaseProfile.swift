import Foundation

/// Seconds spent per phase of a long run (reading, normalizing, the network, writing…), summed
/// over the run and reported in the order phases first appeared. Commands create one when the
/// `DENSECELL_PROFILE` environment variable is set and print `summary` on stderr
/// (docs/ARCHITECTURE.md, Performance). Used from one thread at a time.
public final class PhaseProfile {
    /// Whether profiles are asked for (`DENSECELL_PROFILE` set to anything).
    public static let requested = ProcessInfo.processInfo.environment["DENSECELL_PROFILE"] != nil

    /// Seconds summed per phase name.
    public private(set) var seconds: [String: Double] = [:]
    /// Phase names in the order they first appeared.
    public private(set) var order: [String] = []
    private var mark: UInt64

    /// An empty profile whose first phase starts now.
    public init() { mark = Self.now() }

    /// A profile when `DENSECELL_PROFILE` is set, else nil (so timing costs nothing).
    public static func ifRequested() -> PhaseProfile? { requested ? PhaseProfile() : nil }

    /// Adds the time since the previous `add` (or `restart`, or creation) to `phase`.
    public func add(_ phase: String) {
        let t = Self.now()
        if seconds[phase] == nil { order.append(phase) }
        seconds[phase, default: 0] += Double(t - mark) / 1e9
        mark = t
    }

    /// Starts the next phase now, not counting the time since the last `add`.
    public func restart() { mark = Self.now() }

    /// "read 0.24 s, predict 194.67 s, …, total 196.1 s".
    public var summary: String {
        let total = order.reduce(0) { $0 + seconds[$1]! }
        return (order.map { "\($0) \(String(format: "%.2f", seconds[$0]!)) s" } + [String(format: "total %.2f s", total)])
            .joined(separator: ", ")
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
