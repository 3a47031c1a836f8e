import Foundation

/// Cooperative cancellation: one side sets the flag, long work checks it between units of work
/// (windows, tiles, training steps) and stops. Safe to share between threads.
public final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    /// A token that is not cancelled.
    public init() {}

    /// Asks the work that holds this token to stop; it cannot be undone.
    public func cancel() { lock.lock(); flag = true; lock.unlock() }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
