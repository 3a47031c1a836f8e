import Foundation

/// Cooperative cancellation: one side sets the flag, long work checks it between units of work
/// (windows, tiles, training steps) and stops, throwing `CancelledError`. Safe to share between
/// threads.
public final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    /// A token that is not cancelled.
    public init() {}

    /// Asks the work that holds this token to stop; it cannot be undone.
    public func cancel() { lock.lock(); flag = true; lock.unlock() }

    /// Whether `cancel()` was called.
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return flag }

    /// Stops the work: throws `CancelledError` once `cancel()` was called.
    public func throwIfCancelled() throws(CancelledError) {
        if isCancelled { throw CancelledError() }
    }
}

/// What work stopped through its `CancelToken` throws, in every library: the one way to tell a
/// cancelled run from a failed one (`catch is CancelledError`).
public struct CancelledError: DenseCellError, Equatable, Sendable {
    public init() {}
    /// The message if it ever reaches the user.
    public var description: String { "cancelled" }
    /// A run that was stopped did not finish its work: status 1.
    public var exitStatus: ExitStatus { .failure }
}
