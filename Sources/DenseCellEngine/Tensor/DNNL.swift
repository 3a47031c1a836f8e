import CDNNL
import Foundation

/// The process-wide oneDNN CPU engine (thread-safe; streams are per plan).
enum DNNL {
    static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t?
        let status = dc_engine_create(&e)
        precondition(status == dnnl_success && e != nil, "oneDNN: cannot create a CPU engine (status \(status.rawValue))")
        return e!
    }()

    static var version: String { String(cString: dc_dnnl_version_string()) }

    /// Throws an engine error naming the operation when a oneDNN call fails.
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws(EngineError) {
        guard status == dnnl_success else {
            throw EngineError(.library, "oneDNN: \(what()) failed (\(name(status)))")
        }
    }

    static func name(_ s: dnnl_status_t) -> String {
        switch s {
        case dnnl_out_of_memory: "out of memory"
        case dnnl_invalid_arguments: "invalid arguments"
        case dnnl_unimplemented: "not implemented for these shapes or data types"
        case dnnl_runtime_error: "runtime error"
        default: "status \(s.rawValue)"
        }
    }

    static func dataType(_ p: Precision) -> dnnl_data_type_t { p == .bf16 ? dnnl_bf16 : dnnl_f32 }
}

/// Arithmetic precision of activations and weights inside the network (probabilities are float32).
public enum Precision: String, Sendable, CaseIterable { case f32, bf16 }
