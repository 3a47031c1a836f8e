import DenseCellCore
import DenseCellIO
import Foundation

/// One ensemble run on its own thread: it reads the image slab by slab, writes finished tiles
/// into the ensemble store (the viewer cache) and posts events; it never touches the view's state.
final class InferenceJob: @unchecked Sendable {
    let kind: JobKind
    let roi: Box3
    let cancellation = CancelToken()
    let started = Date()
    private let thread: Thread

    init(kind: JobKind, roi: Box3, image: VolumeSource, normalization: (mean: Float, std: Float)?, store: EnsembleStore,
         provider: SegmentationProvider, events: BackgroundEvents) {
        self.kind = kind
        self.roi = roi
        let cancellation = self.cancellation
        thread = Thread {
            do {
                // A tile that cannot be stored stops the run: its labels would be lost.
                let storeFailed = CancelToken()
                try provider.segment(image, roi: roi, normalization: normalization, cancellation: cancellation) { done, total, tile in
                    var stored: Box3?
                    if let tile, !storeFailed.isCancelled {
                        do { try store.write(tile); stored = tile.box } catch {
                            storeFailed.cancel()
                            cancellation.cancel()
                            events.post(.notice("ensemble results not stored: \(error)"))
                        }
                    }
                    events.post(.progress(done: done, total: total, tile: stored))
                }
                events.post(.finished(roi: roi, cancelled: false, error: nil))
            } catch {
                let cancelled = cancellation.isCancelled || error is CancelledError
                events.post(.finished(roi: roi, cancelled: cancelled, error: cancelled ? nil : String(describing: error)))
            }
        }
        thread.name = "densecell ensemble"
        thread.stackSize = 8 << 20
    }

    func start() { thread.start() }
    func cancel() { cancellation.cancel() }
}
