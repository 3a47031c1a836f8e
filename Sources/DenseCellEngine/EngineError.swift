import DenseCellCore
import Foundation

/// A failure inside the engine: a bad model file, bad input, a oneDNN error, or a cancelled run.
public struct EngineError: DenseCellError, Equatable, Sendable {
    public enum Kind: Sendable, Equatable { case cancelled, badModel, badInput, library }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }

    /// The run was cancelled through its `CancelToken`; not a failure the user needs explained.
    public static let cancelled = EngineError(.cancelled, "cancelled")

    public var isCancelled: Bool { kind == .cancelled }
    /// Bad models and bad input are the user's (2); library failures and cancellation end a run with 1.
    public var exitStatus: ExitStatus { kind == .badModel || kind == .badInput ? .badInput : .failure }
    public var description: String { message }

    /// Lets `catch EngineError.cancelled` match by kind.
    public static func ~= (pattern: EngineError, value: any Error) -> Bool {
        guard let e = value as? EngineError else { return false }
        return e.kind == pattern.kind && (pattern.kind == .cancelled || e.message == pattern.message)
    }
}

/// Cooperative cancellation, checked between windows.
public final class CancelToken: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    public init() {}
    public func cancel() { lock.lock(); flag = true; lock.unlock() }
    public var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
