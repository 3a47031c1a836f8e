import DenseCellCore
import DenseCellIO
import Foundation

/// The whole `segment` path timed on a generated volume (docs/ARCHITECTURE.md, Performance): a
/// phantom image is written to a study file, then opened, normalized, tiled, ensembled and
/// written to another study exactly as `segment` does, with the time of each phase.
public struct EndToEndResult: Sendable {
    /// The phantom's shape.
    public var shape: Shape3
    /// Wall time from opening the phantom to the committed result.
    public var seconds: Double
    /// Voxels of the phantom segmented per second of `seconds`.
    public var voxelsPerSecond: Double
    /// Seconds per phase in the order they first ran (normalize, copy image, read, gather, network, …).
    public var phases: [(String, Double)]
}

/// `densecell bench --end-to-end`: the segment path timed on a phantom.
public enum EndToEndBenchmark {
    /// - Parameters:
    ///   - shape: The phantom's shape.
    ///   - seed: The phantom's seed.
    ///   - ensemble: The models to run.
    ///   - options: Window, overlap, precision.
    ///   - directory: Where the phantom and the result are written (and removed afterwards).
    ///   - log: Told what is happening.
    /// - Throws: `IOError`, `EngineError`.
    public static func run(shape: Shape3, seed: UInt64, ensemble: Ensemble, options: InferenceOptions,
                           directory: String, log: ((String) -> Void)? = nil) throws -> EndToEndResult {
        let input = directory + "/end-to-end-phantom.h5", output = directory + "/end-to-end-segmented.h5"
        defer { unlink(input); unlink(output) }
        log?("writing a \(shape) phantom (seed \(seed))")
        let study = Phantom.generate(shape: shape, seed: seed)
        let phantom = try StudyWriter(path: input, shape: shape, existing: .replace)
        try phantom.writeImage(study.image, resolutionNM: study.resolutionNM)
        try phantom.commit()

        log?("segmenting it with \(ensemble.models.count) model\(ensemble.models.count == 1 ? "" : "s") as segment does")
        let profile = PhaseProfile()
        let start = DispatchTimeNanos.now()
        let writer = try StudyWriter(path: output, shape: shape, existing: .replace)
        do {   // the input is closed at the end of this scope
            let image = try OpenedStudy.openImage(input)
            profile.add("open")
            let job = VolumeSegmentation(ensemble: ensemble, options: options, roi: Box3(shape: shape), name: "ensemble",
                                         wantProbabilities: false)
            try job.run(image.source, resolutionNM: image.resolutionNM, into: writer, profile: profile)
        }
        profile.restart()
        try writer.commit()
        profile.add("commit")
        let seconds = DispatchTimeNanos.seconds(since: start)
        return EndToEndResult(shape: shape, seconds: seconds, voxelsPerSecond: Double(shape.count) / seconds,
                              phases: profile.order.map { ($0, profile.seconds[$0]!) })
    }
}
