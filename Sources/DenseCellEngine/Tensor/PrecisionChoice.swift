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

    /// What was chosen and why, for the line commands print ("bf16 (auto: oneDNN runs avx512_core_amx)").
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

    /// bf16 where oneDNN runs AMX tiles, f32 elsewhere (docs/ARCHITECTURE.md, Performance). With
    /// AMX, bf16 is several times faster than f32. AVX512-BF16 without AMX (avx512_core_bf16)
    /// also runs bf16 2–3× faster, but the shipped ensemble's probabilities then differ from f32
    /// by up to 0.05 on a phantom, far above the 2e-3 that bf16 may cost, so auto stays f32 there.
    public static let automatic: Precision = dc_effective_isa_has_amx() != 0 ? .bf16 : .f32

    /// Why `automatic` is what it is, in a few words.
    public static var automaticReason: String {
        dc_effective_isa_has_amx() != 0 ? "oneDNN runs \(cpuISA)" : "oneDNN runs \(cpuISA), no AMX"
    }
}
