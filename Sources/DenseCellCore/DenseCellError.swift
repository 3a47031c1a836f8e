/// How an error ends a `densecell` run (see docs/ARCHITECTURE.md, "Errors").
public enum ExitStatus: Int32, Sendable {
    /// A failure while working (a file that cannot be written, a library failure): exit status 1.
    case failure = 1
    /// Bad input or usage (a missing file or dataset, a wrong shape, a bad option value): exit status 2.
    case badInput = 2
}

/// An error the libraries throw, worded as one line for the user (its `description`, naming the
/// file or option at fault) and carrying the exit status it ends a run with. The executable maps
/// every such error in one place; libraries never print or exit.
public protocol DenseCellError: Error, CustomStringConvertible {
    /// Whether the user's input was at fault (2) or the work failed (1).
    var exitStatus: ExitStatus { get }
}

extension LabelSchema.LoadError: DenseCellError {
    /// Bad input: exit status 2.
    public var exitStatus: ExitStatus { .badInput }
}

extension LabelError: DenseCellError {
    /// Bad input: exit status 2.
    public var exitStatus: ExitStatus { .badInput }
}

extension FigureError: DenseCellError {
    /// Bad input: exit status 2.
    public var exitStatus: ExitStatus { .badInput }
}

extension BitmapFont.ParseError: DenseCellError {
    /// Only the shipped font is parsed: a bad one is a broken installation, not the user's input.
    public var exitStatus: ExitStatus { .failure }
}
