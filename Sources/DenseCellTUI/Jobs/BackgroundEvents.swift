import DenseCellCore
import DenseCellIO
import Foundation

/// What work off the key thread reports to it: the ensemble job, region searches, consensus
/// patches, figure export, the plane loader and the background pass.
enum BackgroundEvent: @unchecked Sendable {
    /// Voxels done; `tile` is a box whose labels are now in the viewer cache.
    case progress(done: Int, total: Int, tile: Box3?)
    case finished(roi: Box3, cancelled: Bool, error: String?)
    case notice(String)
    /// The disagreement regions of a pair (indices into the view's sources), found in the background.
    case regionsFound(SourcePair, [DisagreementRegion])
    /// Planes arrived or the background pass counted more: redraw.
    case dataChanged
    /// Consensus patches made off the key thread: (region id, patch or nil for A's labels, box).
    case consensusPatches(generation: Int, [(Int, Consensus.Patch?, Box3)])
}

/// The queue of background events, drained by the key thread. Posting wakes whoever waits: the
/// terminal loop polls `wakeDescriptor` together with its input, tests and `--measure-frames`
/// wait on the condition.
final class BackgroundEvents: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [BackgroundEvent] = []
    /// Readable while events are posted and not drained (a pipe with a byte per post).
    let wakeDescriptor: Int32
    private let wakeWriter: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for fd in ends {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        wakeDescriptor = ends[0]
        wakeWriter = ends[1]
    }

    deinit {
        if wakeDescriptor >= 0 { close(wakeDescriptor) }
        if wakeWriter >= 0 { close(wakeWriter) }
    }

    func post(_ event: BackgroundEvent) {
        condition.lock()
        // Redraw requests pile up while the key thread draws: one is enough.
        if case .dataChanged = event, case .dataChanged? = events.last {} else { events.append(event) }
        // Written before waiters run, so whoever wakes finds the descriptor readable; a full
        // pipe is readable already.
        var byte: UInt8 = 1
        if wakeWriter >= 0 { _ = write(wakeWriter, &byte, 1) }
        condition.broadcast()
        condition.unlock()
    }

    var isEmpty: Bool { condition.lock(); defer { condition.unlock() }; return events.isEmpty }

    func drain() -> [BackgroundEvent] {
        // The pipe first: a post after this leaves its byte, so its event is not slept through.
        var bytes = [UInt8](repeating: 0, count: 256)
        if wakeDescriptor >= 0 { while read(wakeDescriptor, &bytes, bytes.count) > 0 {} }
        condition.lock(); defer { condition.unlock() }
        let drained = events
        events = []
        return drained
    }

    /// Waits until an event is posted (returns at once if one is waiting) or `seconds` pass.
    /// - Returns: whether an event is waiting.
    @discardableResult
    func wait(atMost seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock(); defer { condition.unlock() }
        while events.isEmpty && condition.wait(until: deadline) {}
        return !events.isEmpty
    }
}
