import DenseCellCore
import DenseCellIO
import Foundation

/// The whole of a `segment` run on an image file (docs/ARCHITECTURE.md, Inference): normalize the
/// image in one streaming pass, tile and ensemble it slab by slab, and write the labels (and
/// probabilities) into a study — or, for one z-block of a run cut into blocks, into a part file
/// that `SegmentPartMerge` assembles. `bench --end-to-end` times this same path.
public struct VolumeSegmentation {
    /// The models whose probabilities are averaged.
    public let ensemble: Ensemble
    /// Window, overlap, augmentation and precision.
    public let options: InferenceOptions
    /// The region of interest (volume coordinates).
    public let roi: Box3
    /// The label source's name (`/labels/NAME`).
    public let name: String
    /// Whether class probabilities are written beside the labels.
    public let wantProbabilities: Bool

    /// A run of `ensemble` over `roi`, written as label source `name`.
    public init(ensemble: Ensemble, options: InferenceOptions, roi: Box3, name: String, wantProbabilities: Bool) {
        self.ensemble = ensemble; self.options = options; self.roi = roi; self.name = name; self.wantProbabilities = wantProbabilities
    }

    /// Segments the region of `source` into a study writer of the image's shape; a new study also
    /// gets the image. The writer is not committed.
    ///
    /// - Throws: `EngineError`, `IOError` from reading or writing.
    public func run(_ source: VolumeSource, resolutionNM: [Double]?, into writer: StudyWriter, progress: ((InferenceProgress) -> Void)? = nil,
                    profile: PhaseProfile? = nil) throws {
        let normalization: InputNormalization
        if !writer.addsToExisting {
            // One pass over the file: the image's statistics while it is copied into the new study.
            var statistics = InputNormalization.Accumulator()
            try writer.copyImage(from: source, resolutionNM: resolutionNM) { statistics.add($0.data) }
            normalization = statistics.result
            profile?.add("normalize and copy image")
        } else {
            normalization = try InputNormalization.of(source)
            profile?.add("normalize")
        }
        try writer.createLabels(name, role: .algorithm, region: roi)
        if wantProbabilities { try writer.createProbabilities(name, classes: ensemble.classes, storage: .float16) }
        try tile(source, normalization: normalization, block: nil, zOffset: 0, into: writer, progress: progress, profile: profile)
        try writer.setAttribute("/labels/\(name)", "models", .strings(ensemble.models.map { $0.path ?? "" }))
        try writer.setAttribute("/labels/\(name)", "model_checksums", .strings(ensemble.checksums))
    }

    /// The slices of block `index` of `count` (cut at window starts; see `Ensemble.blocks`).
    /// - Throws: `EngineError` (bad input) when the index is out of range or the region too thin.
    public func block(_ index: Int, of count: Int, volume: Shape3) throws(EngineError) -> Range<Int> {
        guard count >= 1 else { throw EngineError(.badInput, "--blocks \(count): expected at least 1") }
        guard (0..<count).contains(index) else {
            throw EngineError(.badInput, "--block \(index) is out of range for --blocks \(count) (blocks count from 0 to \(count - 1))")
        }
        return try Ensemble.blocks(count, volume: volume, roi: roi, options: options)[index]
    }

    /// Segments block `index` of `count` into a part file's writer (shape: the block's slices of
    /// the image's y and x) and records the run in it, so that the parts of all blocks merge into
    /// exactly the study one `run` would write. The writer is not committed.
    ///
    /// - Parameter image: The image as an absolute reference, for the merge to copy into a new study.
    /// - Throws: `EngineError`, `IOError`.
    public func runBlock(_ index: Int, of count: Int, source: VolumeSource, image: String, into writer: StudyWriter,
                         progress: ((InferenceProgress) -> Void)? = nil, profile: PhaseProfile? = nil) throws {
        let z = try block(index, of: count, volume: source.shape)
        precondition(writer.shape == Shape3(z.count, source.shape.y, source.shape.x), "a part's writer covers the block's slices")
        let normalization = try InputNormalization.of(source)
        profile?.add("normalize")
        let part = SegmentPart(block: index, blocks: count, z: z, volume: source.shape, roi: roi, name: name, image: image,
                               models: ensemble.models.map { $0.path ?? "" }, modelChecksums: ensemble.checksums,
                               window: "\(options.window.z)x\(options.window.y)x\(options.window.x)", overlap: options.overlap,
                               tta: options.tta, precision: options.precision.rawValue, probabilities: wantProbabilities,
                               classes: ensemble.classes,
                               normalization: [Double(normalization.mean), Double(normalization.std)])
        try writer.createLabels(name, role: .algorithm)
        if wantProbabilities { try writer.createProbabilities(name, classes: ensemble.classes, storage: .float16) }
        try tile(source, normalization: normalization, block: z, zOffset: z.lowerBound, into: writer, progress: progress, profile: profile)
        try part.record(in: writer)
    }

    private func tile(_ source: VolumeSource, normalization: InputNormalization, block: Range<Int>?, zOffset: Int,
                      into writer: StudyWriter, progress: ((InferenceProgress) -> Void)?, profile: PhaseProfile?) throws {
        let classes = ensemble.classes, roi = self.roi, name = self.name
        try ensemble.segmentStreaming(
            volume: source.shape, normalization: normalization, roi: roi, options: options, block: block,
            wantProbabilities: wantProbabilities, cancel: nil,
            read: { z in try source.readImage(source.slab(z)) },
            emit: { slab in
                // Slabs cover the region's y and x; outside the region the labels stay 0.
                let region = Box3(z: (slab.z.lowerBound - zOffset)..<(slab.z.upperBound - zOffset), y: roi.y, x: roi.x)
                try writer.writeLabels(name, box: region, slab.labels.data)
                if let p = slab.probabilities { try writer.writeProbabilities(name, box: region, classes: classes, p) }
            },
            progress: progress, profile: profile)
    }
}
