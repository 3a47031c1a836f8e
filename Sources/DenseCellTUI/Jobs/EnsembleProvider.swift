import DenseCellCore
import DenseCellEngine
import DenseCellIO

/// The engine's ensemble behind the viewer's provider protocol: tiles are the slabs the engine
/// reports final, and the viewer's cancel flag reaches the engine's token between windows.
public final class EnsembleProvider: SegmentationProvider, @unchecked Sendable {
    let ensemble: Ensemble
    let options: InferenceOptions

    /// Segments with `ensemble`, using `options` (precision, overlap, window, flips).
    public init(ensemble: Ensemble, options: InferenceOptions = InferenceOptions()) {
        self.ensemble = ensemble
        self.options = options
    }

    /// The models' content checksums and what changes their result (precision, overlap, window,
    /// flips), so cached results are used only when they would be computed the same way.
    public var cacheKey: String {
        let w = options.window
        return ensemble.checksums.joined(separator: ",") +
            ";\(options.precision.rawValue);overlap \(options.overlap);window \(w.z)x\(w.y)x\(w.x)\(options.tta ? ";flips" : "")"
    }

    /// What runs: the models and the precision (auto has picked it for this CPU by now).
    public var summary: String { "\(ensemble.models.count) model\(ensemble.models.count == 1 ? "" : "s"), \(options.precision.rawValue)" }

    /// Runs the ensemble over `roi`, streaming the image as `segment` does; see
    /// `SegmentationProvider.segment(_:roi:normalization:cancellation:progress:)`.
    public func segment(_ image: VolumeSource, roi: Box3, normalization: (mean: Float, std: Float)?, cancellation: CancelToken,
                        progress: @escaping @Sendable (Int, Int, SegmentationTile?) -> Void) throws {
        try cancellation.throwIfCancelled()
        let plane = roi.y.count * roi.x.count
        let norm = try normalization.map { InputNormalization(mean: $0.mean, std: $0.std) }
            ?? InputNormalization.of(image, cancel: cancellation)
        try ensemble.segmentStreaming(
            volume: image.shape, normalization: norm, roi: roi, options: options, wantProbabilities: false, cancel: cancellation,
            read: { z in try image.readImage(image.slab(z)) },
            emit: { slab in
                let box = Box3(z: slab.z, y: roi.y, x: roi.x)
                progress((slab.z.upperBound - roi.z.lowerBound) * plane, roi.shape.count, SegmentationTile(box: box, labels: slab.labels))
            },
            progress: { p in progress(p.voxelsDone, p.voxelsTotal, nil) })
    }
}
