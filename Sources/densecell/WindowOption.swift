import ArgumentParser
import DenseCellCore
import DenseCellEngine

/// The window a command uses unless `--window` says otherwise.
protocol DefaultWindow {
    /// ZxYxX, as typed on the command line.
    static var window: String { get }
    /// The option's help, saying what the window is for.
    static var help: String { get }
}

/// Inference (`segment`, `bench`): `InferenceOptions.defaultWindow`, 5×512×512.
enum InferenceWindow: DefaultWindow {
    static let window = { let w = InferenceOptions.defaultWindow; return "\(w.z)x\(w.y)x\(w.x)" }()
    static let help = "Window ZxYxX (y and x multiples of 4; no wider than the volume is used)."
}

/// Training (`train`): the paper's 5×300×300.
enum TrainingWindow: DefaultWindow {
    static let window = "5x300x300"
    static let help = "Training window ZxYxX (y and x multiples of 4; paper: 5x300x300)."
}

/// `--window ZxYxX`, checked once for every command that runs the network on windows.
struct WindowOption<Default: DefaultWindow>: ParsableArguments {
    @Option(help: ArgumentHelp(Default.help, valueName: "ZxYxX"))
    var window = Default.window

    func validate() throws {
        guard let shape = Shape3(parsing: window), Architecture.isValidWindow(shape) else {
            throw ValidationError("--window \(window): expected ZxYxX with y and x multiples of 4, e.g. \(Default.window)")
        }
    }

    /// The window (valid once parsed).
    var shape: Shape3 { Shape3(parsing: window)! }
}
