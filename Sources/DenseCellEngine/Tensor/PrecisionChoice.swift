import CDNNL

/// The precision a user asks for: `auto` lets the engine pick the fast one for this CPU
/// (see docs/ARCHITECTURE.md, Inference).
public enum PrecisionChoice: String, Sendable, CaseIterable, CustomStringConvertible {
    case auto, f32, bf16

    /// The precision to compute in: f32 and bf16 as asked; `auto` as `Precision.automatic`.
    public var resolved: Precision {
        switch self {
        case .auto: Precision.automatic
        case .f32: .f32
        case .bf16: .bf16
        }
    }

    /// What was chosen and why, for the line commands print
    /// ("bf16 (auto: fastest native precision on avx512_core_bf16 whose labels match f32's …)").
    public var explanation: String {
        switch self {
        case .auto: "\(resolved.rawValue) (auto: \(Precision.automaticReason))"
        case .f32, .bf16: rawValue
        }
    }

    /// The spelling on the command line.
    public var description: String { rawValue }

    /// Accepted spellings, for usage messages.
    public static let spellings = "auto, f32 or bf16"
}

extension Precision {
    /// The instruction set oneDNN's kernels use on this machine ("avx512_core_amx", "avx512_core_bf16", …).
    public static var cpuISA: String { String(cString: dc_effective_isa_name()) }

    /// The precisions `auto` may choose, fastest first where the CPU runs them natively. Each one
    /// but f32 is here because its labels agree with f32's on the shipped ensemble within
    /// `PrecisionFidelity.autoBar` (pinned by a test on two phantoms; docs/ARCHITECTURE.md,
    /// Performance): bf16 moves probabilities by up to 0.05 without AMX, yet not the labels.
    public static let autoCandidates: [Precision] = [.bf16, .f32]

    /// Whether oneDNN runs `precision` with instructions made for it: f32 everywhere, bf16 with
    /// AVX512-BF16 or AMX (about 2× f32 with AVX512-BF16; elsewhere it would be emulated, slower).
    public static func runsNatively(_ precision: Precision) -> Bool {
        switch precision {
        case .f32: true
        case .bf16: dc_effective_isa_has_native_bf16() != 0
        }
    }

    /// The first of `autoCandidates` this CPU runs natively: bf16 with AVX512-BF16 or AMX, else f32.
    public static let automatic: Precision = autoCandidates.first(where: runsNatively) ?? .f32

    /// Why `automatic` is what it is, in a few words.
    public static var automaticReason: String {
        automatic == .f32
            ? "oneDNN runs \(cpuISA), no native bf16"
            : "fastest native precision on \(cpuISA) whose labels match f32's on the shipped ensemble (\(PrecisionFidelity.autoBar))"
    }
}
