import DenseCellCore
import DenseCellIO
import Foundation

/// What a background job reports to the key-handling thread.
enum JobEvent: @unchecked Sendable {
    /// Voxels done; `tile` is a box whose labels are now in the viewer cache.
    case progress(done: Int, total: Int, tile: Box3?)
    case finished(roi: Box3, cancelled: Bool, error: String?)
    case notice(String)
    /// The disagreement regions of a pair (indices into the view's sources), found in the background.
    case regions(SourcePair, [DisagreementRegion])
    /// Planes arrived or the background pass counted more: redraw.
    case dataChanged
    /// Consensus patches made off the key thread: (region id, patch or nil for A's labels, box).
    case consensusPatches(generation: Int, [(Int, Consensus.Patch?, Box3)])
}

/// A lock-protected queue of events from background threads, drained by the main loop.
final class JobEventQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JobEvent] = []
    func post(_ e: JobEvent) { lock.lock(); events.append(e); lock.unlock() }
    var isEmpty: Bool { lock.lock(); defer { lock.unlock() }; return events.isEmpty }
    func drain() -> [JobEvent] { lock.lock(); defer { lock.unlock() }; let e = events; events = []; return e }
}

/// One ensemble run on its own thread: it reads the image slab by slab, writes finished tiles
/// into the ensemble store (the viewer cache) and posts events; it never touches the view's state.
final class InferenceJob: @unchecked Sendable {
    let kind: JobKind
    let roi: Box3
    let cancellation = CancelToken()
    let started = Date()
    private let thread: Thread

    init(kind: JobKind, roi: Box3, image: VolumeSource, normalization: (mean: Float, std: Float)?, store: EnsembleStore,
         provider: SegmentationProvider, events: JobEventQueue) {
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
                let cancelled = cancellation.isCancelled || error is SegmentationCancelled
                events.post(.finished(roi: roi, cancelled: cancelled, error: cancelled ? nil : String(describing: error)))
            }
        }
        thread.name = "densecell ensemble"
        thread.stackSize = 8 << 20
    }

    func start() { thread.start() }
    func cancel() { cancellation.cancel() }
}
