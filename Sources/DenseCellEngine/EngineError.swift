import DenseCellCore
import Foundation

/// A failure inside the engine: a bad model file, bad input, a oneDNN error, or a cancelled run.
public struct EngineError: DenseCellError, Equatable, Sendable {
    /// What went wrong: a cancelled run, a model file that is not usable, input the user can
    /// fix, or a failure inside oneDNN.
    public enum Kind: Sendable, Equatable { case cancelled, badModel, badInput, library }
    /// The class of failure, which decides the exit status.
    public var kind: Kind
    /// One line for the user, naming the file or value at fault.
    public var message: String

    /// - Parameters:
    ///   - kind: the class of failure.
    ///   - message: one line for the user.
    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }

    /// The run was cancelled through its `CancelToken`; not a failure the user needs explained.
    public static let cancelled = EngineError(.cancelled, "cancelled")

    /// Whether the run was cancelled rather than failed.
    public var isCancelled: Bool { kind == .cancelled }
    /// Bad models and bad input are the user's (2); library failures and cancellation end a run with 1.
    public var exitStatus: ExitStatus { kind == .badModel || kind == .badInput ? .badInput : .failure }
    /// The message shown to the user.
    public var description: String { message }

    /// Lets `catch EngineError.cancelled` match by kind.
    public static func ~= (pattern: EngineError, value: any Error) -> Bool {
        guard let e = value as? EngineError else { return false }
        return e.kind == pattern.kind && (pattern.kind == .cancelled || e.message == pattern.message)
    }
}
