import DenseCellCore
import Foundation

/// A failure inside the engine: a bad model file, bad input or a oneDNN error. (A cancelled run
/// throws Core's `CancelledError`.)
public struct EngineError: DenseCellError, Equatable, Sendable {
    /// What went wrong: a model file that is not usable, input the user can fix, or a failure
    /// inside oneDNN.
    public enum Kind: Sendable, Equatable { case badModel, badInput, library }
    /// The class of failure, which decides the exit status.
    public var kind: Kind
    /// One line for the user, naming the file or value at fault.
    public var message: String

    /// - Parameters:
    ///   - kind: the class of failure.
    ///   - message: one line for the user.
    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }

    /// Bad models and bad input are the user's (2); library failures end a run with 1.
    public var exitStatus: ExitStatus { kind == .badModel || kind == .badInput ? .badInput : .failure }
    /// The message shown to the user.
    public var description: String { message }
}
