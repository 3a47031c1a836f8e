import CDNNL
import Foundation
import DenseCellCore

/// Weights of one layer as stored in model files: kernel (out, in, kd, kh, kw) and bias (out).
public struct LayerWeights: Sendable, Equatable {
    public var kernel: [Float]
    public var kernelShape: [Int]          // out, in, kd, kh, kw
    public var bias: [Float]
    public init(kernel: [Float], kernelShape: [Int], bias: [Float]) {
        precondition(kernelShape.count == 5 && kernelShape.reduce(1, *) == kernel.count && bias.count == kernelShape[0])
        self.kernel = kernel; self.kernelShape = kernelShape; self.bias = bias
    }
    public var outChannels: Int { kernelShape[0] }
    public var inChannels: Int { kernelShape[1] }
    public var kernelSize: (Int, Int, Int) { (kernelShape[2], kernelShape[3], kernelShape[4]) }
}

/// A compiled sequence of oneDNN primitives for one input shape, run in order on its own stream.
/// Built once per (model, shape, precision) and reused for every window of that shape.
final class Plan {
    struct Step {
        var primitive: dnnl_primitive_t
        var args: [dnnl_exec_arg_t]
        var label: String
        var implementation: String
    }
    let stream: dnnl_stream_t
    private(set) var steps: [Step] = []
    private var primitives: [dnnl_primitive_t] = []
    /// Every tensor the steps touch, kept alive as long as the plan.
    private var tensors: [Tensor] = []
    /// Implementation chosen for each step (for diagnostics).
    private(set) var implementations: [String] = []
    private var implementationOf: [UnsafeRawPointer: String] = [:]

    init() throws(EngineError) {
        var s: dnnl_stream_t?
        try DNNL.check(dnnl_stream_create(&s, DNNL.engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        stream = s!
    }

    deinit {
        for p in primitives { dnnl_primitive_destroy(p) }
        dnnl_stream_destroy(stream)
    }

    func keep(_ t: Tensor) { tensors.append(t) }

    /// Creates the primitive of `pd` (destroying the descriptor) and returns it without scheduling it.
    func makePrimitive(_ pd: dnnl_primitive_desc_t) throws(EngineError) -> dnnl_primitive_t {
        defer { dnnl_primitive_desc_destroy(pd) }
        var p: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&p, pd), "creating a primitive")
        primitives.append(p!)
        let implementation = String(cString: dc_pd_impl(pd))
        implementationOf[UnsafeRawPointer(p!)] = implementation
        implementations.append(implementation)
        return p!
    }

    func append(_ primitive: dnnl_primitive_t, _ args: [(Int32, Tensor)], label: String) {
        for (_, t) in args { keep(t) }
        steps.append(Step(primitive: primitive, args: args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }, label: label,
                          implementation: implementationOf[UnsafeRawPointer(primitive)] ?? "?"))
    }

    /// Runs a primitive once right now (weight reorders at build time).
    func runNow(_ primitive: dnnl_primitive_t, _ args: [(Int32, Tensor)]) throws(EngineError) {
        let a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
        try DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(a.count), a), "running a reorder")
        try DNNL.check(dnnl_stream_wait(stream), "waiting for the stream")
    }

    /// Runs every step in order and waits for the result.
    func run() throws(EngineError) {
        for step in steps {
            let status = step.args.withUnsafeBufferPointer {
                dnnl_primitive_execute(step.primitive, stream, Int32($0.count), $0.baseAddress)
            }
            try DNNL.check(status, "running \(step.label)")
        }
        try DNNL.check(dnnl_stream_wait(stream), "waiting for the stream")
    }

    /// Runs each step separately and returns the seconds each label took (for profiling in bench).
    func profile() throws(EngineError) -> [(Step, Double)] {
        var out: [(Step, Double)] = []
        for step in steps {
            let t0 = DispatchTimeNanos.now()
            let status = step.args.withUnsafeBufferPointer {
                dnnl_primitive_execute(step.primitive, stream, Int32($0.count), $0.baseAddress)
            }
            try DNNL.check(status, "running \(step.label)")
            try DNNL.check(dnnl_stream_wait(stream), "waiting for the stream")
            out.append((step, DispatchTimeNanos.seconds(since: t0)))
        }
        return out
    }
}

enum DispatchTimeNanos {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    static func seconds(since t0: UInt64) -> Double { Double(now() - t0) / 1e9 }
}
