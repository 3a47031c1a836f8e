import ArgumentParser
import DenseCellCore
import DenseCellEngine

/// `--precision` and `--overlap`, shared by the commands that run ensemble inference.
struct InferenceSettings: ParsableArguments {
    @Option(help: ArgumentHelp("Arithmetic precision: auto (the fastest one the CPU runs natively whose labels match f32's on the shipped ensemble: bf16 with AVX512-BF16 or AMX, else f32), f32 or bf16.",
                               valueName: "P"))
    var precision = "auto"

    @Option(help: ArgumentHelp("Fraction of the window neighbouring windows share (0 ≤ F < 1; 0 = no overlap, faster, slightly less accurate).",
                               valueName: "F"))
    var overlap = InferenceOptions.defaultOverlap

    /// The precision asked for.
    /// - Throws: `UsageError` naming the option when it is not auto, f32 or bf16.
    func precisionChoice() throws -> PrecisionChoice {
        guard let choice = PrecisionChoice(rawValue: precision) else {
            throw UsageError("--precision \(precision): expected \(PrecisionChoice.spellings)")
        }
        return choice
    }

    /// Engine options for a window and flips, with the precision resolved for this machine.
    /// - Throws: `UsageError` for a precision or overlap outside what is accepted.
    func options(window: Shape3 = InferenceOptions.defaultWindow, tta: Bool = false) throws -> InferenceOptions {
        let choice = try precisionChoice()
        guard InferenceOptions.isValidOverlap(overlap) else {
            throw UsageError("--overlap \(overlap): expected a fraction from 0 up to (not including) 1, e.g. 0.5")
        }
        return InferenceOptions(window: window, overlap: overlap, tta: tta, precision: choice.resolved)
    }
}
