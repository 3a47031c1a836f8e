import DenseCellCore
import Foundation

/// What a background job reports to the key-handling thread.
enum JobEvent: @unchecked Sendable {
    case progress(done: Int, total: Int, tile: SegmentationTile?)
    case finished(roi: Box3, labels: Volume<UInt8>?, cancelled: Bool, error: String?)
    case notice(String)
    /// The disagreement regions of a pair (indices into the view's sources), found in the background.
    case regions(SourcePair, [DisagreementRegion])
}

/// A lock-protected queue of events from background threads, drained by the main loop.
final class JobEventQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JobEvent] = []
    func post(_ e: JobEvent) { lock.lock(); events.append(e); lock.unlock() }
    func drain() -> [JobEvent] { lock.lock(); defer { lock.unlock() }; let e = events; events = []; return e }
}

/// One ensemble run on its own thread; it never touches the view's data, only posts events.
final class InferenceJob: @unchecked Sendable {
    let kind: JobKind
    let roi: Box3
    let cancellation = CancelToken()
    let started = Date()
    private let thread: Thread

    init(kind: JobKind, roi: Box3, image: Volume<Float>, provider: SegmentationProvider, events: JobEventQueue) {
        self.kind = kind
        self.roi = roi
        let cancellation = self.cancellation
        thread = Thread {
            do {
                let labels = try provider.segment(image, roi: roi, cancellation: cancellation) { done, total, tile in
                    events.post(.progress(done: done, total: total, tile: tile))
                }
                events.post(.finished(roi: roi, labels: labels, cancelled: false, error: nil))
            } catch {
                let cancelled = cancellation.isCancelled || error is SegmentationCancelled
                events.post(.finished(roi: roi, labels: nil, cancelled: cancelled,
                                      error: cancelled ? nil : String(describing: error)))
            }
        }
        thread.name = "densecell ensemble"
        thread.stackSize = 8 << 20
    }

    func start() { thread.start() }
    func cancel() { cancellation.cancel() }
}
