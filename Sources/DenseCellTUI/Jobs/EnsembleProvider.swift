import DenseCellCore
import DenseCellEngine

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

    /// Runs the ensemble over `roi`; see `SegmentationProvider.segment(_:roi:cancellation:progress:)`.
    public func segment(_ image: Volume<Float>, roi: Box3, cancellation: CancelToken,
                        progress: @escaping @Sendable (Int, Int, SegmentationTile?) -> Void) throws -> Volume<UInt8> {
        let token = CancelToken()
        if cancellation.isCancelled { throw SegmentationCancelled() }
        do {
            let result = try ensemble.segment(image, roi: roi, options: options, cancel: token) { p in
                if cancellation.isCancelled { token.cancel() }
                var tile: SegmentationTile? = nil
                if let box = p.finished, let labels = p.finishedLabels { tile = SegmentationTile(box: box, labels: labels) }
                progress(p.voxelsDone, p.voxelsTotal, tile)
            }
            return result.labels
        } catch EngineError.cancelled {
            throw SegmentationCancelled()
        }
    }
}
