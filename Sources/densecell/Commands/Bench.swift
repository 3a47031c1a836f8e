import ArgumentParser
import DenseCellCore
import DenseCellEngine
import DenseCellIO
import DenseCellAssets
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine: voxels/s and GFLOP/s of one network window against the machine's peak.",
        discussion: """
        Runs the 2D–3D network (random weights) on one window repeatedly and, between its runs, \
        a single large 3×3×3 convolution as the machine's peak; both report their best run, so \
        other work on a shared machine disturbs the comparison as little as possible. Voxels/s \
        counts the window's voxels per forward pass of one model; GFLOP/s counts 2 FLOP per \
        multiply-add of every layer at its own resolution. Build with `swift build -c release` \
        before measuring; --layers shows where the time goes.

        --end-to-end measures what a user feels instead: a phantom of --shape is written to a \
        study and segmented exactly as `segment` does (open, normalize, copy the image, read, \
        tile, run the models, blend, write, with --overlap), by default with the shipped demo \
        ensemble; it prints the whole run's voxels/s and the seconds of each phase. The \
        network's width and ablation switches (--no-conv333, --no-pyramid) apply to the \
        single-window measurement.

        Examples:
          densecell bench
          densecell bench --width 16 --window 5x256x256
          densecell bench --precision bf16 --json
          densecell bench --width 16 --precision f32
          densecell bench --width 64 --no-pyramid
          densecell bench --end-to-end --shape 24x512x512 --overlap 0
        """
    )

    @OptionGroup var architectureOptions: ArchitectureOptions

    @OptionGroup var windowOption: WindowOption<InferenceWindow>

    @OptionGroup var inference: InferenceSettings

    @Option(help: "Seconds to spend timing the network.")
    var seconds = 5.0

    @Flag(help: "List every step of the network with its kernel, time and GFLOP/s.")
    var layers = false

    @Flag(help: "Print one JSON object instead of a report.")
    var json = false

    @Flag(help: "Time the whole segment path (read, normalize, tile, ensemble, write) on a generated phantom instead.")
    var endToEnd = false

    @Option(help: ArgumentHelp("With --end-to-end: the phantom's shape.", valueName: "ZxYxX"))
    var shape = "24x512x512"

    @Option(parsing: .upToNextOption, help: ArgumentHelp("With --end-to-end: model files or directories (default: the shipped demo ensemble).",
                                                         valueName: "DIR|FILE"))
    var models: [String] = []

    func run() throws {
        let shape = windowOption.shape
        let choice = try inference.precisionChoice()
        let p = choice.resolved
        let arch = architectureOptions.architecture()
        let log: (String) -> Void = { message in
            if !json { FileHandle.standardError.write(Data("densecell bench: \(message)\n".utf8)) }
        }
        log("precision \(choice.explanation)")
        if endToEnd { return try runEndToEnd(window: shape, precision: p, choice: choice, log: log) }
        let r = try Benchmark.run(architecture: arch, window: shape, precision: p, seconds: seconds, log: log)
        if json {
            var object: [String: Any] = [
                "width": r.width, "conv333": arch.conv333, "pyramid": arch.pyramid,
                "window": [r.window.z, r.window.y, r.window.x], "precision": r.precision.rawValue,
                "precision_requested": choice.rawValue, "cpu_isa": Precision.cpuISA,
                "voxels_per_second": (r.voxelsPerSecond).rounded(),
                "voxels_per_second_mean": (Double(r.window.count) / r.meanSecondsPerWindow).rounded(), "runs": r.runs,
                "gflops": (r.gflops * 10).rounded() / 10,
                "peak_gflops": (r.peakGflops * 10).rounded() / 10,
            ]
            if let e = r.probabilityError { object["max_abs_probability_error_vs_f32"] = e }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("network     w=\(arch.width)\(arch.conv333 ? "" : ", no 3×3×3")\(arch.pyramid ? "" : ", no pyramid"), \(arch.parameterCount) parameters, \(Int(arch.macsPerOutputVoxel)) MACs per voxel")
        print("precision   \(choice.explanation)")
        print("window      \(r.window) \(r.precision.rawValue), \(r.runs) runs, best \(String(format: "%.1f", r.secondsPerWindow * 1000)) ms, mean \(String(format: "%.1f", r.meanSecondsPerWindow * 1000)) ms per window")
        print("throughput  \(Int(r.voxelsPerSecond)) voxels/s, \(String(format: "%.1f", r.gflops)) GFLOP/s")
        print("peak        \(String(format: "%.1f", r.peakGflops)) GFLOP/s (\(r.peakDescription)); network at \(String(format: "%.0f", 100 * r.gflops / r.peakGflops))% of peak")
        if let e = r.probabilityError { print("bf16 error  max |p_bf16 − p_f32| = \(String(format: "%.4f", e))") }
        let total = r.profile.reduce(0) { $0 + $1.1 }
        print("profile     (one run, each step timed alone)")
        for (kind, s) in r.profile {
            print("  \(kind.padding(toLength: 18, withPad: " ", startingAt: 0)) \(String(format: "%7.1f", s * 1000)) ms  \(String(format: "%5.1f", 100 * s / total))%")
        }
        print("kernels     " + r.implementations.joined(separator: ", "))
        if layers {
            print("steps")
            for step in r.steps {
                var rate = ""
                if let l = arch.layer(step.label) {
                    let flops = 2 * l.macsPerOutputVoxel * Double(shape.count)
                    rate = String(format: "%7.1f GFLOP/s", flops / step.seconds / 1e9)
                }
                print("  \(step.label.padding(toLength: 14, withPad: " ", startingAt: 0)) \(step.implementation.padding(toLength: 24, withPad: " ", startingAt: 0)) \(String(format: "%7.2f", step.seconds * 1000)) ms \(rate)")
            }
        }
    }

    /// `--end-to-end`: the segment path on a generated phantom.
    func runEndToEnd(window: Shape3, precision: Precision, choice: PrecisionChoice, log: @escaping (String) -> Void) throws {
        guard let volume = Shape3(parsing: shape), volume.count > 0 else {
            throw UsageError("--shape \(shape): expected ZxYxX, e.g. 24x512x512")
        }
        let options = try inference.options(window: window)
        let overlap = options.overlap
        let ensemble = try Ensemble.load(paths: models.isEmpty ? [Assets.url("models/demo").path] : models, top: nil)
        let directory = NSTemporaryDirectory() + "densecell-bench-\(getpid())"
        try OutputDirectory.create(directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let r = try EndToEndBenchmark.run(shape: volume, seed: 201, ensemble: ensemble, options: options, directory: directory, log: log)
        if json {
            let object: [String: Any] = [
                "end_to_end": true, "shape": [volume.z, volume.y, volume.x], "window": [window.z, window.y, window.x],
                "models": ensemble.models.count, "widths": ensemble.models.map(\.width), "overlap": overlap,
                "precision": precision.rawValue, "precision_requested": choice.rawValue, "cpu_isa": Precision.cpuISA,
                "seconds": (r.seconds * 1000).rounded() / 1000, "voxels_per_second": r.voxelsPerSecond.rounded(),
                "phases": Dictionary(uniqueKeysWithValues: r.phases.map { ($0.0, ($0.1 * 1000).rounded() / 1000) }),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("end to end  \(volume) phantom, \(ensemble.models.count) models (width \(ensemble.models.map { String($0.width) }.joined(separator: ","))), " +
              "window \(window), overlap \(overlap), precision \(choice.explanation)")
        print("throughput  \(Int(r.voxelsPerSecond)) voxels/s, \(String(format: "%.1f", r.seconds)) s")
        print("phases")
        for (phase, s) in r.phases {
            print("  \(phase.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%8.2f", s)) s  \(String(format: "%5.1f", 100 * s / r.seconds))%")
        }
    }
}
