import DenseCellCore
import DenseCellEngine

/// The engine's ensemble behind the viewer's provider protocol: tiles are the slabs the engine
/// reports final, and the viewer's cancel flag reaches the engine's token between windows.
public final class EnsembleProvider: SegmentationProvider, @unchecked Sendable {
    public let ensemble: Ensemble
    public let options: InferenceOptions

    public init(ensemble: Ensemble, options: InferenceOptions = InferenceOptions()) {
        self.ensemble = ensemble
        self.options = options
    }

    /// The models' content checksums, so cached results are used only with the same models.
    public var cacheKey: String { ensemble.checksums.joined(separator: ",") }

    public var summary: String { "\(ensemble.models.count) model\(ensemble.models.count == 1 ? "" : "s")" }

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
