import Foundation
import DenseCellCore

/// Whether a window's working memory fits this machine, asked before any of it is allocated, so
/// a window too large is refused in one line instead of stopping the process.
enum WindowMemory {
    /// - Parameters:
    ///   - bytes: what the window needs (a lower bound is enough to refuse the hopeless).
    ///   - available: the memory it may use (default: the machine's physical memory).
    /// - Throws: `EngineError(.badInput)` saying how much the window needs when it exceeds `available`.
    static func check(_ bytes: Double, window: Shape3, available: Double = Double(ProcessInfo.processInfo.physicalMemory)) throws(EngineError) {
        guard bytes <= available else { throw tooLarge(bytes, window: window, available: available) }
    }

    /// The refusal: `window` (or "the window" when the caller does not know it) needs `bytes`.
    static func tooLarge(_ bytes: Double, window: Shape3?, available: Double = Double(ProcessInfo.processInfo.physicalMemory)) -> EngineError {
        EngineError(.badInput, "\(window.map { "window \($0): its" } ?? "the window's") activations need \(gibibytes(bytes)) and do not fit in the "
                    + "\(gibibytes(available)) of memory here; choose a smaller window")
    }

    static func gibibytes(_ bytes: Double) -> String { String(format: "%.1f GiB", bytes / Double(1 << 30)) }
}
