import ArgumentParser
import DenseCellEngine

/// `--width`, `--no-conv333` and `--no-pyramid`: the network's shape, for the commands that make
/// or time a network (`model init`, `train`, `bench`).
struct ArchitectureOptions: ParsableArguments {
    @Option(help: "Network width w (even; the paper uses 64, the demo models 16).")
    var width = 64

    @Flag(help: "Ablation: 1×3×3 instead of 3×3×3 block-initial convolutions.")
    var noConv333 = false

    @Flag(help: "Ablation: no 3-D pyramid; the output is the 2-D head.")
    var noPyramid = false

    func validate() throws {
        guard Architecture.isValidWidth(width) else { throw ValidationError("--width \(width): expected an even width ≥ 2") }
    }

    /// The network these options describe, predicting `classes` classes.
    func architecture(classes: Int = 7) -> Architecture {
        Architecture(width: width, classes: classes, conv333: !noConv333, pyramid: !noPyramid)
    }
}
