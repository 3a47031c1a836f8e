import DenseCellIO
import Foundation

/// What a volume holds, which decides how its planes are read and halved.
enum VolumeKind { case image, labels, mask }

/// The readers behind every plane the viewer draws, by number (`PlaneKey.volume`): the image
/// first, then each source's labels and mask, then the derived sources. Changed on the key
/// thread, read by the plane loader and the background pass, so it locks.
final class VolumeTable: @unchecked Sendable {
    struct Entry {
        let reader: VolumeSource
        let kind: VolumeKind
        /// The pyramid group in the viewer cache file (volumes on disk only).
        let pyramid: String?
    }

    /// The image's number.
    static let image = 0
    private let lock = NSLock()
    private var entries: [Entry] = []

    /// Adds a volume; returns its number.
    func add(_ entry: Entry) -> Int {
        lock.lock(); defer { lock.unlock() }
        entries.append(entry)
        return entries.count - 1
    }

    /// Puts another reader under a number (a derived source rebuilt): its planes must be dropped.
    func replace(_ index: Int, with entry: Entry) {
        lock.lock(); entries[index] = entry; lock.unlock()
    }

    subscript(index: Int) -> Entry { lock.lock(); defer { lock.unlock() }; return entries[index] }

    var count: Int { lock.lock(); defer { lock.unlock() }; return entries.count }

    /// Every volume with its number, as the table stands.
    var all: [(index: Int, entry: Entry)] { lock.lock(); defer { lock.unlock() }; return Array(entries.enumerated().map { ($0.offset, $0.element) }) }
}
