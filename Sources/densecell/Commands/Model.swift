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
        The file has the layout of a trained model (docs/ARCHITECTURE.md, "Model file") with steps = 0 and no evaluation \
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

    @OptionGroup var architectureOptions: ArchitectureOptions

    @Option(help: "Seed of the random initialization.")
    var seed = 1

    func run() throws {
        let arch = architectureOptions.architecture()
        let model = NetworkModel.random(arch, seed: seed)
        let dir = (output as NSString).deletingLastPathComponent
        if !dir.isEmpty { try OutputDirectory.create(dir) }
        try model.write(path: output)
        print("wrote \(output): width \(arch.width), \(arch.parameterCount) parameters, seed \(seed)")
    }
}
