import Foundation

/// Reads planes off the key thread: what the screen needs first, then the neighbours of the
/// current slice. Each `want` replaces the previous wishes, so a fast scroll does not leave a
/// queue of slices nobody looks at any more; a plane being read is finished, though.
/// One condition guards the queues: the loader's thread waits on it for work, the background
/// pass for the screen's reads to finish.
final class PlaneLoader: @unchecked Sendable {
    private let cache: PlaneCache
    /// Reads a plane, and with it the planes the same read decoded (first the one asked for).
    private let read: @Sendable (PlaneKey) throws -> [(key: PlaneKey, plane: Plane)]
    private let loaded: @Sendable (PlaneKey, Error?) -> Void
    private let condition = NSCondition()
    private var needed: [PlaneKey] = []
    /// Read after `needed` and kept like it, but not what the screen waits for (the cursor readout).
    private var soon: [PlaneKey] = []
    private var prefetch: [PlaneKey] = []
    /// Read-ahead read but not kept for want of room: not asked again until the screen needs more.
    private var dropped: Set<PlaneKey> = []
    private var busy = false
    private var busyReadingAhead = false
    private var stopped = false
    private var failed: Set<PlaneKey> = []
    private var thread: Thread?

    /// - Parameters:
    ///   - read: how a plane is read (on the loader's thread).
    ///   - loaded: told after each plane (and of a failure, once per plane).
    init(cache: PlaneCache, read: @escaping @Sendable (PlaneKey) throws -> [(key: PlaneKey, plane: Plane)],
         loaded: @escaping @Sendable (PlaneKey, Error?) -> Void) {
        self.cache = cache
        self.read = read
        self.loaded = loaded
    }

    /// Planes to read: `needed` (on screen) before `prefetch` (nearby slices); those cached or
    /// failed before are skipped.
    func want(_ needed: [PlaneKey], soon: [PlaneKey] = [], prefetch: [PlaneKey] = []) {
        condition.lock()
        self.needed = needed.filter { !cache.contains($0) && !failed.contains($0) }
        if !self.needed.isEmpty { dropped = [] }
        self.soon = soon.filter { !cache.contains($0) && !failed.contains($0) && !self.needed.contains($0) }
        self.prefetch = prefetch.filter { !cache.contains($0) && !failed.contains($0) && !dropped.contains($0)
            && !self.needed.contains($0) && !self.soon.contains($0) }
        if thread == nil && (!self.needed.isEmpty || !self.soon.isEmpty || !self.prefetch.isEmpty) {
            let t = Thread { [weak self] in
                Thread.current.name = "densecell-load"   // the system's thread name (ps, debuggers)
                self?.run()
            }
            t.name = "densecell-load"
            thread = t
            t.start()
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Whether planes the screen needs are queued or being read (not read-ahead).
    var readsForScreen: Bool {
        condition.lock(); defer { condition.unlock() }
        return !needed.isEmpty || (busy && !busyReadingAhead)
    }

    /// Whether nothing is queued or being read.
    var isIdle: Bool {
        condition.lock(); defer { condition.unlock() }
        return needed.isEmpty && soon.isEmpty && prefetch.isEmpty && !busy
    }

    /// Whether reading `key` failed (the pane says so instead of waiting forever).
    func hasFailed(_ key: PlaneKey) -> Bool { condition.lock(); defer { condition.unlock() }; return failed.contains(key) }

    /// Waits while planes the screen needs are queued or being read, at most `seconds`.
    func waitWhileScreenReads(atMost seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        while (!needed.isEmpty || (busy && !busyReadingAhead)) && !stopped && condition.wait(until: deadline) {}
        condition.unlock()
    }

    func stop() {
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while needed.isEmpty && soon.isEmpty && prefetch.isEmpty && !stopped { condition.wait() }
            if stopped { condition.unlock(); return }
            let ahead = needed.isEmpty && soon.isEmpty
            let key = !needed.isEmpty ? needed.removeFirst() : (!soon.isEmpty ? soon.removeFirst() : prefetch.removeFirst())
            busy = true
            busyReadingAhead = ahead
            condition.unlock()
            var failure: Error?
            var kept = true
            if !cache.contains(key) {
                let epoch = cache.epoch(key.volume)
                do {
                    let planes = try read(key)
                    for (i, (k, plane)) in planes.enumerated() {
                        // What was read beside the plane asked for is kept like read-ahead: while there is room.
                        if ahead || i > 0 {
                            let fits = cache.bytes + plane.byteCount <= cache.capacity
                            if i == 0 { kept = fits }
                            if fits && !cache.contains(k) { cache.put(k, plane, epoch: epoch) }
                        } else {
                            cache.put(k, plane, epoch: epoch)
                        }
                    }
                } catch { failure = error }
            }
            condition.lock()
            busy = false
            if failure != nil { failed.insert(key) }
            if !kept { dropped.insert(key) }
            condition.broadcast()
            condition.unlock()
            loaded(key, failure)
        }
    }
}
