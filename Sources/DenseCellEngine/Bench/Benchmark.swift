import CDNNL
import DenseCellCore
import Foundation

/// Throughput of the compiled network on one window, and the machine's convolution peak measured
/// in the same run (docs/ARCHITECTURE.md, "Performance").
public struct BenchmarkResult: Sendable {
    /// The network timed (width and ablation switches).
    public var architecture: Architecture
    /// Network width w timed.
    public var width: Int { architecture.width }
    /// Window (z, y, x) the network was compiled for.
    public var window: Shape3
    /// Arithmetic the network ran in.
    public var precision: Precision
    /// Windows timed.
    public var runs: Int
    /// Fastest run (the machine is shared: the best run is the one least disturbed by other work).
    public var secondsPerWindow: Double
    /// Mean over all runs, disturbances included.
    public var meanSecondsPerWindow: Double
    /// Window voxels per second at the fastest run.
    public var voxelsPerSecond: Double
    /// Useful floating-point work per second at the fastest run (2 per multiply-add of the network).
    public var gflops: Double
    /// The machine's convolution peak, measured between the runs.
    public var peakGflops: Double
    /// What the peak was measured on, for the printed line.
    public var peakDescription: String
    /// Seconds per window spent in each kind of step, summed over layers (from one profiled run).
    public var profile: [(String, Double)]
    /// Largest probability difference to float32 on the same window (bf16 runs only).
    public var probabilityError: Double?
    /// oneDNN implementations the plan's primitives chose, sorted, each once.
    public var implementations: [String]
    /// Every step of one profiled run: label, oneDNN implementation, seconds.
    public var steps: [(label: String, implementation: String, seconds: Double)]
}

/// `densecell bench`: the compiled network's speed against the machine's convolution peak.
public enum Benchmark {
    /// Times the network on random weights and a random window for at least `seconds`.
    /// - Parameters:
    ///   - architecture: the network (width, ablations).
    ///   - window: the window (z, y, x); y and x multiples of 4.
    ///   - precision: float32 or bfloat16.
    ///   - seconds: the least time spent timing (at least three runs).
    ///   - log: receives a line per stage.
    /// - Returns: speed, the peak measured alongside, and a per-step profile.
    /// - Throws: `EngineError` when the window is bad or too large for memory, or oneDNN cannot
    ///   build or run the network.
    public static func run(architecture arch: Architecture, window: Shape3, precision: Precision, seconds: Double = 3,
                           log: ((String) -> Void)? = nil) throws -> BenchmarkResult {
        let model = NetworkModel.random(arch, seed: 1)
        // Compiled first: it refuses a window too large for memory before the buffers below take it.
        log?("compiling w=\(arch.width) for \(window) (\(precision.rawValue))")
        let network = try CompiledNetwork(model, shape: window, precision: precision)
        var rng = SplitMix64(seed: 7)
        let image = (0..<window.count).map { _ in rng.unit() * 2 - 1 }
        var probabilities = [Float](repeating: 0, count: arch.classes * window.count)
        func once() throws { try image.withUnsafeBufferPointer { i in
            try probabilities.withUnsafeMutableBufferPointer { o in try network.run(image: i, probabilities: o) } } }
        try once()   // warm-up: first-touch of buffers, JIT caches
        let peak = try PeakConvolution(precision: precision)
        log?("timing the network and, between its runs, the convolution peak")
        // Network runs and peak measurements alternate, so both see the same machine load; each
        // keeps its best time.
        var runs = 0, total = 0.0, perWindow = Double.infinity, peakSeconds = Double.infinity
        let t0 = DispatchTimeNanos.now()
        repeat {
            let t = DispatchTimeNanos.now()
            try once()
            let s = DispatchTimeNanos.seconds(since: t)
            perWindow = min(perWindow, s); total += s; runs += 1
            peakSeconds = min(peakSeconds, try peak.time(seconds: min(0.5, seconds / 10)))
        } while DispatchTimeNanos.seconds(since: t0) < seconds || runs < 3
        let voxels = Double(window.count)
        let flops = 2 * exactMacs(arch, window: window)

        var probabilityError: Double? = nil
        if precision != .f32 {
            let reference = try CompiledNetwork(model, shape: window, precision: .f32)
            var ref = [Float](repeating: 0, count: probabilities.count)
            try image.withUnsafeBufferPointer { i in try ref.withUnsafeMutableBufferPointer { o in try reference.run(image: i, probabilities: o) } }
            try once()
            probabilityError = Double(zip(ref, probabilities).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) })
        }

        var byKind: [String: Double] = [:]
        let profiled = try network.plan.profile()
        for (step, s) in profiled { byKind[kind(of: step.label, in: arch), default: 0] += s }

        return BenchmarkResult(architecture: arch, window: window, precision: precision, runs: runs, secondsPerWindow: perWindow,
                               meanSecondsPerWindow: total / Double(runs),
                               voxelsPerSecond: voxels / perWindow, gflops: flops / perWindow / 1e9,
                               peakGflops: peak.flops / peakSeconds / 1e9, peakDescription: peak.description,
                               profile: byKind.sorted { $0.value > $1.value }, probabilityError: probabilityError,
                               implementations: Array(Set(network.plan.implementations)).sorted(),
                               steps: profiled.map { ($0.0.label, $0.0.implementation, $0.1) })
    }

    /// Groups layer labels into kinds for the profile ("3×3×3 convolutions", "reorders", …).
    static func kind(of label: String, in arch: Architecture) -> String {
        if let l = arch.layer(label) {
            if l.kind == .transposed { return "transposed 1×2×2" }
            return "conv " + l.kernel.map(String.init).joined(separator: "×")
        }
        if label.hasPrefix("pool") { return "max pool" }
        if label.hasPrefix("softmax") { return "softmax" }
        if label.hasPrefix("concat") { return "concat" }
        return label
    }

    /// Multiply-adds of one window, counting each layer at its own resolution.
    static func exactMacs(_ arch: Architecture, window: Shape3) -> Double {
        arch.layers.reduce(0) { $0 + $1.macsPerOutputVoxel * Double(window.count) }
    }

}

/// The machine's convolution peak: one large 3×3×3, 128→128-channel convolution on 8×64×64
/// voxels, in the blocked layout the library picks, timed without its input reorder.
final class PeakConvolution {
    let plan: Plan
    let step: Plan.Step
    let flops: Double
    let description: String

    init(precision: Precision) throws {
        let shape = Shape3(8, 64, 64), channels = 128
        var rng = SplitMix64(seed: 9)
        let b = try PlanBuilder(precision: precision)
        let x = try b.input(channels: channels, shape: shape)
        let w = LayerWeights(kernel: (0..<(channels * channels * 27)).map { _ in rng.unit() - 0.5 },
                             kernelShape: [channels, channels, 3, 3, 3], bias: [Float](repeating: 0, count: channels))
        _ = try b.convolution(x, w, relu: true, label: "peak")
        plan = b.plan
        step = plan.steps.last!
        try plan.run()   // input reorder and a warm-up
        flops = 2.0 * Double(channels * channels * 27 * shape.count)
        description = "conv 3×3×3 \(channels)→\(channels) on \(shape), \(step.implementation)"
    }

    /// Best time of one convolution over about `seconds`.
    func time(seconds: Double) throws -> Double {
        var best = Double.infinity
        let t0 = DispatchTimeNanos.now()
        repeat {
            let t = DispatchTimeNanos.now()
            let status = step.args.withUnsafeBufferPointer { dnnl_primitive_execute(step.primitive, plan.stream, Int32($0.count), $0.baseAddress) }
            try DNNL.check(status, "running the peak convolution")
            try DNNL.check(dnnl_stream_wait(plan.stream), "waiting")
            best = min(best, DispatchTimeNanos.seconds(since: t))
        } while DispatchTimeNanos.seconds(since: t0) < seconds
        return best
    }
}
