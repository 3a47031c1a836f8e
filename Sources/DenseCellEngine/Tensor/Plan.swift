import CDNNL
import Foundation
import DenseCellCore

/// Weights of one layer as stored in model files: kernel (out, in, kd, kh, kw) and bias (out).
struct LayerWeights: Sendable, Equatable {
    /// Kernel values, laid out (out, in, kd, kh, kw).
    var kernel: [Float]
    /// The kernel's extents (out, in, kd, kh, kw).
    var kernelShape: [Int]
    /// One bias per output channel.
    var bias: [Float]
    /// Weights of a layer; the shapes must agree (checked).
    init(kernel: [Float], kernelShape: [Int], bias: [Float]) {
        precondition(kernelShape.count == 5 && kernelShape.reduce(1, *) == kernel.count && bias.count == kernelShape[0])
        self.kernel = kernel; self.kernelShape = kernelShape; self.bias = bias
    }
    /// Output channels of the layer.
    var outChannels: Int { kernelShape[0] }
    /// Input channels of the layer.
    var inChannels: Int { kernelShape[1] }
    /// Kernel extent (kd, kh, kw).
    var kernelSize: (Int, Int, Int) { (kernelShape[2], kernelShape[3], kernelShape[4]) }
}

/// A compiled sequence of oneDNN primitives for one input shape, run in order on its own stream.
/// Built once per (model, shape, precision) and reused for every window of that shape.
final class Plan {
    struct Step {
        var primitive: dnnl_primitive_t
        var args: [dnnl_exec_arg_t]
        var label: String
        var implementation: String
        var tensors: [Tensor]
    }
    let stream: dnnl_stream_t
    private(set) var steps: [Step] = []
    private var primitives: [dnnl_primitive_t] = []
    /// Every tensor the steps touch, kept alive as long as the plan.
    private var tensors: [Tensor] = []
    /// Implementation chosen for each step (for diagnostics).
    private(set) var implementations: [String] = []
    private var implementationOf: [UnsafeRawPointer: String] = [:]

    /// Where pooled activations live; shared by plans that never run at the same time.
    let pool: ActivationPool
    private var poolBytes = -1
    private var boundBase: UnsafeMutableRawPointer?

    init(pool: ActivationPool = ActivationPool()) throws(EngineError) {
        self.pool = pool
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
                          implementation: implementationOf[UnsafeRawPointer(primitive)] ?? "?", tensors: args.map(\.1)))
        poolBytes = -1
    }

    /// Bytes of pooled activations this plan needs at once.
    var activationBytes: Int { layOut(); return poolBytes }

    /// Places every pooled tensor in the pool so that tensors alive at the same step never
    /// overlap: a tensor lives from the first to the last step that touches it (or a view of it).
    /// Greedy first fit in order of first use; a network's activations then take a few full-size
    /// tensors instead of one per layer.
    private func layOut() {
        guard poolBytes < 0 else { return }
        var first: [ObjectIdentifier: Int] = [:], last: [ObjectIdentifier: Int] = [:]
        var roots: [ObjectIdentifier: Tensor] = [:]
        for (i, step) in steps.enumerated() {
            for t in step.tensors {
                let r = t.root
                guard r.isPooled else { continue }
                let id = ObjectIdentifier(r)
                roots[id] = r
                first[id] = min(first[id] ?? i, i)
                last[id] = max(last[id] ?? i, i)
            }
        }
        let order = roots.keys.sorted { first[$0]! != first[$1]! ? first[$0]! < first[$1]! : roots[$0]!.byteCount > roots[$1]!.byteCount }
        var active: [(offset: Int, end: Int, last: Int)] = []
        var total = 0
        for id in order {
            let start = first[id]!
            active.removeAll { $0.last < start }
            let size = (roots[id]!.byteCount + 4095) / 4096 * 4096
            var offset = 0
            for block in active.sorted(by: { $0.offset < $1.offset }) {
                if offset + size <= block.offset { break }
                offset = max(offset, block.end)
            }
            roots[id]!.poolOffset = offset
            active.append((offset, offset + size, last[id]!))
            total = max(total, offset + size)
        }
        poolBytes = total
        boundBase = nil
    }

    /// Points pooled tensors (and views of them) at their place in the pool, growing it if needed.
    /// - Throws: `EngineError(.badInput)` when the pool cannot grow to what the plan needs.
    func bind() throws(EngineError) {
        layOut()
        try pool.reserve(poolBytes)
        guard boundBase != pool.base || boundBase == nil else { return }
        let base = pool.base
        for t in tensors where t.isPooled { dnnl_memory_set_data_handle(t.memory, base.map { $0 + t.poolOffset }) }
        for t in tensors {
            if case .view = t.storage {
                var handle: UnsafeMutableRawPointer?
                dnnl_memory_get_data_handle(t.root.memory, &handle)
                dnnl_memory_set_data_handle(t.memory, handle)
            }
        }
        boundBase = base
    }

    /// Runs a primitive once right now (weight reorders at build time).
    func runNow(_ primitive: dnnl_primitive_t, _ args: [(Int32, Tensor)]) throws(EngineError) {
        let a = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.memory) }
        try DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(a.count), a), "running a reorder")
        try DNNL.check(dnnl_stream_wait(stream), "waiting for the stream")
    }

    /// Runs every step in order and waits for the result.
    func run() throws(EngineError) {
        try bind()
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
        try bind()
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

/// One aligned block of memory holding the pooled activations of every plan that uses it. Plans
/// sharing a pool must not run concurrently (an ensemble runs its models one after another).
final class ActivationPool: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0

    init() {}
    deinit { free(base) }

    /// Grows the block to at least `bytes`.
    /// - Throws: `EngineError(.badInput)` saying what the window needs when the memory cannot be
    ///   had; the pool is then empty, so a smaller window can still run.
    func reserve(_ bytes: Int) throws(EngineError) {
        guard bytes > capacity else { return }
        free(base)
        base = nil
        capacity = 0
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 4096, bytes) == 0, let p else { throw WindowMemory.tooLarge(Double(bytes), window: nil) }
        base = p
        capacity = bytes
    }
}
