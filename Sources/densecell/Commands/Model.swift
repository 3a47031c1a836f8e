import ArgumentParser
import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Create model files.",
        discussion: """
        Examples:
          densecell model init models/m1.h5 --width 16 --seed 1
        """,
        subcommands: [ModelInit.self]
    )
}

struct ModelInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a new, untrained model file with Xavier-uniform weights from a seed.",
        discussion: """
        The file has the layout of a trained model (DESIGN §4) with steps = 0 and no evaluation \
        scores, so it ranks last in a Top-k ensemble. Useful to try `segment` and `bench`, and as \
        the starting point of training.

        Examples:
          densecell model init m1.h5 --width 16 --seed 1
          for s in 1 2 3; do densecell model init models/m$s.h5 --width 16 --seed $s; done
          densecell model init ablation.h5 --width 64 --no-conv333 --no-pyramid
        """
    )

    @Argument(help: "The model file to write.")
    var output: String

    @Option(help: "Network width w (even; the paper uses 64).")
    var width = 64

    @Option(help: "Seed of the random initialization.")
    var seed = 1

    @Flag(help: "Use 1×3×3 instead of 3×3×3 block-initial convolutions (ablation).")
    var noConv333 = false

    @Flag(help: "Drop the 3-D pyramid: the output is the 2-D prediction (ablation).")
    var noPyramid = false

    func run() throws {
        guard width >= 2, width % 2 == 0 else { throw UsageError("--width \(width): expected an even width ≥ 2") }
        let arch = Architecture(width: width, conv333: !noConv333, pyramid: !noPyramid)
        let model = NetworkModel.random(arch, seed: seed)
        let dir = (output as NSString).deletingLastPathComponent
        if !dir.isEmpty { try OutputDirectory.create(dir) }
        try model.write(path: output)
        print("wrote \(output): width \(width), \(arch.parameterCount) parameters, seed \(seed)")
    }
}
