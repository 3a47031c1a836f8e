import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

/// A label source as the background pass counts it.
struct CountedSource: @unchecked Sendable {
    var name: String
    var labels: VolumeSource
    var mask: VolumeSource?
    /// Whether its statistics may be kept in the cache file (sources on disk, not computed ones).
    var cacheable: Bool
    /// Slices where its mask is 0 everywhere (nothing computed yet): their counts are zero
    /// without reading anything.
    var unlabeled: (@Sendable (Int) -> Bool)? = nil
}

/// The viewer's one background streaming pass (docs/ARCHITECTURE.md, "Viewer"): slab by slab it
/// counts every slice's confusion matrix for every pair of sources and every source's class
/// histogram (the volume metrics, pairwise MIoU, fractions and the disagreement ranking are sums
/// of these), and on its first time through also samples the image's gray window, its
/// normalization for the ensemble and writes the multiscale pyramid into the viewer cache.
///
/// It never blocks the key thread: queries answer from what is counted so far (nil when a slice
/// is not), `prioritize` moves the slice on screen to the front, and a source that changes (the
/// ensemble, the live consensus) has only its changed slices counted again.
///
/// One condition (`lock`) guards everything below it: the pass's thread waits on it for work.
final class BackgroundPass: @unchecked Sendable {
    /// Called on the pass's thread once per slab (with the image slab the first time through):
    /// the pyramid and the window and normalization samples are made there.
    typealias SlabHook = (_ z: Range<Int>, _ image: Volume<Float>?, _ labels: [String: Volume<UInt8>], _ masks: [String: Volume<UInt8>]) -> Void
    /// Called instead, tile by tile, when a sparse store is counted by tiles (the first time
    /// through): the image's voxels of `box`, or nil and its fill value when nothing there was written.
    typealias TileHook = (_ box: Box3, _ image: Volume<Float>?, _ fill: Float) -> Void

    let shape: Shape3
    let classes: Int
    /// How the sources' stored values become classes.
    private let mapping: LabelMapping
    private let image: VolumeSource
    private let lock = NSCondition()
    private var sources: [CountedSource] = []
    /// Per slice: confusion of each pair (names in list order, first = rows) and histograms.
    private var confusions: [[PairNames: ConfusionMatrix]]
    private var histograms: [[String: [Int]]]
    /// Slices whose image the first pass has not yet seen.
    private var imagePending: Set<Int>
    private var priority: Int?
    /// Where the next search for a slice to count begins.
    private var scanFrom = 0
    private var running = false
    private var stopped = false
    private var busy = false
    private let slabBytes: Int
    /// Counting at once on the caller's thread (small studies in memory), not in the background.
    private let inline: Bool
    private let hook: SlabHook?
    private let tileHook: TileHook?
    /// Tiles of whole chunks when every volume is a store chunked alike (Zarr, N5) that keeps its
    /// own pyramid: a tile nothing was written in is counted from its fill values, unread.
    private let tile: (y: Int, x: Int)?
    private let changed: @Sendable () -> Void
    /// Waits while planes on screen are being read (the pass pauses between its reads).
    private let waitForScreen: @Sendable () -> Void
    private let failed: @Sendable (String) -> Void
    /// Why the pass stopped, when a source could not be read.
    var failure: String? { lock.lock(); defer { lock.unlock() }; return storedFailure }
    private var storedFailure: String?
    /// Changes of sources' labels (numbered), so counts read before a change of those slices are not kept.
    private var changes: [(stamp: Int, name: String, z: Range<Int>)] = []
    private var stamp = 0

    struct PairNames: Hashable, Codable { var a: String; var b: String }

    /// - Parameters:
    ///   - imageSeen: whether the first pass's image work is already done (from the cache).
    ///   - slabBytes: what one step reads at most (all sources together).
    ///   - waitForScreen: returns once the planes the screen waits for are read.
    ///   - changed: told (throttled) as slices are counted.
    init(image: VolumeSource, mapping: LabelMapping, imageSeen: Bool, inline: Bool = false, slabBytes: Int = 64 << 20, hook: SlabHook?,
         tile: (y: Int, x: Int)? = nil, tileHook: TileHook? = nil,
         waitForScreen: @escaping @Sendable () -> Void = {},
         changed: @escaping @Sendable () -> Void, failed: @escaping @Sendable (String) -> Void) {
        self.waitForScreen = waitForScreen
        self.image = image
        self.inline = inline
        shape = image.shape
        classes = mapping.classCount
        self.mapping = mapping
        self.slabBytes = slabBytes
        self.hook = hook
        self.tile = tile
        self.tileHook = tileHook
        self.changed = changed
        self.failed = failed
        confusions = Array(repeating: [:], count: image.shape.z)
        histograms = Array(repeating: [:], count: image.shape.z)
        imagePending = imageSeen ? [] : Set(0..<image.shape.z)
    }

    // MARK: What is counted

    /// Sets the sources to count (the view's list); new pairs are counted in the background.
    func setSources(_ list: [CountedSource]) {
        lock.lock()
        sources = list
        countUnlabeled(0..<shape.z)
        lock.signal()
        lock.unlock()
        start()
    }

    /// Forgets what was counted of `name` on slices `z` (its labels changed there).
    func invalidate(_ name: String, z: Range<Int>) {
        lock.lock()
        stamp += 1
        changes.append((stamp, name, z))
        for s in z where s >= 0 && s < shape.z {
            histograms[s][name] = nil
            for key in confusions[s].keys where key.a == name || key.b == name { confusions[s][key] = nil }
        }
        countUnlabeled(z.clamped(to: 0..<shape.z))
        lock.signal()
        lock.unlock()
        start()
    }

    /// Counts slice `z` next (the one on screen).
    func prioritize(_ z: Int) {
        lock.lock(); priority = z; lock.signal(); lock.unlock()
    }

    /// Restores counts kept in the cache file (the pairs and sources they name).
    func restore(confusions c: [[PairNames: ConfusionMatrix]], histograms h: [[String: [Int]]]) {
        lock.lock()
        for z in 0..<min(shape.z, c.count) { confusions[z].merge(c[z]) { a, _ in a } }
        for z in 0..<min(shape.z, h.count) { histograms[z].merge(h[z]) { a, _ in a } }
        lock.unlock()
    }

    /// What can be kept in the cache file: the counts of cacheable sources (nil until all slices are counted).
    func cacheableCounts() -> (confusions: [[PairNames: ConfusionMatrix]], histograms: [[String: [Int]]])? {
        lock.lock(); defer { lock.unlock() }
        let names = Set(sources.filter(\.cacheable).map(\.name))
        guard (0..<shape.z).allSatisfy({ complete(z: $0, among: sources.filter(\.cacheable)) }) else { return nil }
        return (confusions.map { $0.filter { names.contains($0.key.a) && names.contains($0.key.b) } },
                histograms.map { $0.filter { names.contains($0.key) } })
    }

    /// The confusion of `a` (rows) against `b` on slice `z`, or summed over the volume (z nil);
    /// nil while not every slice needed is counted.
    func confusion(_ a: String, _ b: String, z: Int?) -> ConfusionMatrix? {
        lock.lock(); defer { lock.unlock() }
        func one(_ z: Int) -> ConfusionMatrix? {
            if let m = confusions[z][PairNames(a: a, b: b)] { return m }
            return confusions[z][PairNames(a: b, b: a)].map(Self.transposed)
        }
        if let z { return one(z) }
        var total = ConfusionMatrix(classes: classes)
        for s in 0..<shape.z { guard let m = one(s) else { return nil }; total = total + m }
        return total
    }

    /// The class histogram of `name` within its mask on slice `z` or the volume (z nil).
    func histogram(_ name: String, z: Int?) -> [Int]? {
        lock.lock(); defer { lock.unlock() }
        if let z { return histograms[z][name] }
        var total = [Int](repeating: 0, count: classes)
        for s in 0..<shape.z {
            guard let h = histograms[s][name] else { return nil }
            for c in 0..<classes { total[c] += h[c] }
        }
        return total
    }

    /// Disagreeing voxels of a pair per slice (nil where a slice is not counted yet).
    func disagreements(_ a: String, _ b: String) -> [Int?] {
        (0..<shape.z).map { z in
            confusion(a, b, z: z).map { m in m.total - (0..<classes).reduce(0) { $0 + m[$1, $1] } }
        }
    }

    /// Slices fully counted for the current sources, of all.
    var progress: (done: Int, total: Int) {
        lock.lock(); defer { lock.unlock() }
        let done = (0..<shape.z).reduce(0) { $0 + (complete(z: $1, among: sources) && !imagePending.contains($1) ? 1 : 0) }
        return (done, shape.z)
    }

    /// Whether nothing is left to count.
    var isIdle: Bool {
        lock.lock(); defer { lock.unlock() }
        return !busy && imagePending.isEmpty && (0..<shape.z).allSatisfy { complete(z: $0, among: sources) }
    }

    func stop() { lock.lock(); stopped = true; lock.signal(); lock.unlock() }

    // MARK: The pass

    /// Zero counts for sources with nothing labeled on slices `z` (caller holds the lock).
    private func countUnlabeled(_ z: Range<Int>) {
        let zero = ConfusionMatrix(classes: classes)
        for s in sources {
            guard let unlabeled = s.unlabeled else { continue }
            for slice in z where unlabeled(slice) {
                histograms[slice][s.name] = [Int](repeating: 0, count: classes)
                for t in sources where t.name != s.name && confusions[slice][PairNames(a: t.name, b: s.name)] == nil {
                    confusions[slice][PairNames(a: s.name, b: t.name)] = zero
                }
            }
        }
    }

    /// Whether slice z has every count of `list` (caller holds the lock).
    private func complete(z: Int, among list: [CountedSource]) -> Bool {
        let m = missing(z: z, among: list)
        return m.pairs.isEmpty && m.sources.isEmpty
    }

    /// What slice z still lacks among `list` (caller holds the lock).
    private func missing(z: Int, among list: [CountedSource]) -> (pairs: [PairNames], sources: [String]) {
        var pairs: [PairNames] = [], names: [String] = []
        for (i, s) in list.enumerated() {
            if histograms[z][s.name] == nil { names.append(s.name) }
            for t in list[(i + 1)...] {
                let key = PairNames(a: s.name, b: t.name)
                if confusions[z][key] == nil && confusions[z][PairNames(a: t.name, b: s.name)] == nil { pairs.append(key) }
            }
        }
        return (pairs, names)
    }

    /// Starts the pass's thread, or (`inline`: every source in memory) counts at once.
    private func start() {
        if inline {
            while let work = nextWork(wait: false) { count(work) }
            return
        }
        lock.lock()
        defer { lock.unlock() }
        guard !running else { return }
        running = true
        let t = Thread { [weak self] in
            Thread.current.name = "densecell-pass"    // the system's thread name (ps, debuggers)
            var lastReport = Date.distantPast
            while let work = self?.nextWork(wait: true) {
                guard let self, self.count(work) else { return }
                if Date().timeIntervalSince(lastReport) > 0.1 || self.isIdle {
                    lastReport = Date()
                    self.changed()
                }
            }
        }
        t.name = "densecell-pass"
        t.start()
    }

    private func needsWork(_ z: Int) -> Bool {
        imagePending.contains(z) || !complete(z: z, among: sources)
    }

    /// One step of the pass: a slab, the sources it reads and what each slice lacks.
    private struct Work {
        var range: Range<Int>
        var list: [CountedSource]
        var stamp: Int
        var withImage: Bool
        var wanted: [Int: (pairs: [PairNames], sources: [String])]
    }

    /// The next slab to count: the prioritized slice first, then the first slice lacking
    /// counts, with the following slices that need the same kind of work, within the budget.
    /// Waits for work when `wait`; nil when stopped (or idle without waiting).
    private func nextWork(wait: Bool) -> Work? {
        lock.lock()
        defer { lock.unlock() }
        var first: Int?
        while !stopped {
            if let p = priority, p < shape.z, needsWork(p) { first = p; break }
            priority = nil
            // From where the last step began: slices before it are counted unless something changed
            // there, which the second scan finds (a scan from 0 each step costs z² on deep volumes).
            first = (scanFrom..<shape.z).first(where: needsWork) ?? (0..<scanFrom).first(where: needsWork)
            if first != nil { break }
            busy = false
            if !wait { return nil }
            lock.wait()
        }
        guard !stopped, let first else { return nil }
        scanFrom = first
        busy = true
        let withImage = imagePending.contains(first)
        let perPlane = shape.planeCount * (2 * sources.count + (withImage ? 4 : 0))
        // One chunk layer (or 4 slices) a step, within the read budget: small steps yield to the screen.
        let depth = min(image.zGrain > 1 ? image.zGrain : 4, ReadBudget.slabDepth(bytesPerPlane: perPlane, slabBytes: slabBytes))
        var end = first + 1
        while end < min(shape.z, first + depth) && needsWork(end) && imagePending.contains(end) == withImage { end += 1 }
        var wanted: [Int: (pairs: [PairNames], sources: [String])] = [:]
        for z in first..<end { wanted[z] = missing(z: z, among: sources) }
        return Work(range: first..<end, list: sources, stamp: stamp, withImage: withImage, wanted: wanted)
    }

    /// Reads and counts one slab; false when a source cannot be read (the pass then stops).
    @discardableResult
    private func count(_ work: Work) -> Bool {
        let range = work.range
        do {
            let box = image.slab(range)
            // Read only the sources some slice of the slab still lacks (all of them the first time).
            let names = Set(work.wanted.values.flatMap { $0.pairs.flatMap { [$0.a, $0.b] } + $0.sources })
            let read = work.list.filter { names.contains($0.name) || work.withImage }
            if let tile, read.allSatisfy({ s in s.labels.chunkTile != nil && (s.mask.map { $0.chunkTile != nil } ?? true) }) {
                return finish(work, counted: try countTiles(work, read: read, tile: tile))
            }
            var labels: [String: Volume<UInt8>] = [:], masks: [String: Volume<UInt8>] = [:]
            for s in work.list where names.contains(s.name) || work.withImage {
                waitForScreen()
                labels[s.name] = try s.labels.readLabels(box, mapping: mapping)
                if let m = s.mask { waitForScreen(); masks[s.name] = try m.readMask(box) }
            }
            waitForScreen()
            let imageSlab = work.withImage ? try image.readImage(box) : nil
            waitForScreen()
            hook?(range, imageSlab, labels, masks)
            var counted: [Int: ([PairNames: ConfusionMatrix], [String: [Int]])] = [:]
            for z in range {
                waitForScreen()
                var c: [PairNames: ConfusionMatrix] = [:], h: [String: [Int]] = [:]
                let local = (z - range.lowerBound)..<(z - range.lowerBound + 1)
                for key in work.wanted[z]!.pairs {
                    guard let la = labels[key.a], let lb = labels[key.b] else { continue }
                    c[key] = Metrics.confusion(truth: la, prediction: lb, classes: classes,
                                               masks: [masks[key.a], masks[key.b]].compactMap { $0 }, z: local)
                }
                for name in work.wanted[z]!.sources {
                    guard let l = labels[name] else { continue }
                    h[name] = Array(Metrics.histogram(l, masks: [masks[name]].compactMap { $0 }, z: local).prefix(classes))
                }
                counted[z] = (c, h)
            }
            return finish(work, counted: counted)
        } catch {
            lock.lock()
            stopped = true
            busy = false
            storedFailure = "\(error)"
            lock.unlock()
            failed("volume statistics stopped: \(error)")
            return false
        }
    }

    /// Keeps what a step counted, unless a source changed meanwhile.
    private func finish(_ work: Work, counted: [Int: ([PairNames: ConfusionMatrix], [String: [Int]])]) -> Bool {
        lock.lock()
        // Counts of a source that left, or whose slice changed while the slab was read, are stale.
        let listed = Set(sources.map(\.name))
        let since = changes.filter { $0.stamp > work.stamp }
        func fresh(_ name: String, _ z: Int) -> Bool {
            listed.contains(name) && !since.contains { $0.name == name && $0.z.contains(z) }
        }
        for (z, (c, h)) in counted {
            for (k, m) in c where fresh(k.a, z) && fresh(k.b, z) { confusions[z][k] = m }
            for (k, v) in h where fresh(k, z) { histograms[z][k] = v }
            if work.withImage { imagePending.remove(z) }
        }
        // The one worker is past every change up to now.
        changes.removeAll { $0.stamp <= stamp }
        busy = false
        lock.unlock()
        return true
    }

    /// Counts one step of a sparse store tile by tile: a tile where none of `read` (and not the
    /// image, the first time through) has a chunk written adds its fill values' counts to every
    /// slice without reading it; the others are read and counted as whole slabs are.
    private func countTiles(_ work: Work, read: [CountedSource], tile: (y: Int, x: Int)) throws -> [Int: ([PairNames: ConfusionMatrix], [String: [Int]])] {
        let range = work.range
        var counted: [Int: ([PairNames: ConfusionMatrix], [String: [Int]])] = [:]
        for z in range {
            let wanted = work.wanted[z]!
            counted[z] = (Dictionary(uniqueKeysWithValues: wanted.pairs.map { ($0, ConfusionMatrix(classes: classes)) }),
                          Dictionary(uniqueKeysWithValues: wanted.sources.map { ($0, [Int](repeating: 0, count: classes)) }))
        }
        func fillClass(_ s: CountedSource, _ value: Double) throws(IOError) -> Int {
            guard value.rounded() == value, let stored = Int64(exactly: value),
                  let label = s.labels.labelMapping(mapping).classOf(stored) else {
                throw IOError(.badLabels, file: s.labels.reference.path, dataset: s.labels.reference.dataset,
                              "label value \(value) (the fill value of chunks never written) is outside the schema")
            }
            return label
        }
        // Each source's class and whether it counts there, and the image's fill, when nothing in `box` was written.
        func uniformValues(_ box: Box3) throws -> (sources: [String: (label: Int, inside: Bool)], image: Double)? {
            var sources: [String: (label: Int, inside: Bool)] = [:]
            for s in read {
                guard let value = try s.labels.absentValue(box) else { return nil }
                var inside = true
                if let m = s.mask { guard let v = try m.absentValue(box) else { return nil }; inside = v != 0 }
                sources[s.name] = (try fillClass(s, value), inside)
            }
            guard let imageFill = work.withImage ? try image.absentValue(box) : 0 else { return nil }
            return (sources, imageFill)
        }
        // A slab nothing was written in is one step; the others go tile by tile.
        let whole = image.slab(range)
        var boxes: [Box3] = []
        if try uniformValues(whole) != nil { boxes = [whole] } else {
            for y in stride(from: 0, to: shape.y, by: tile.y) {
                for x in stride(from: 0, to: shape.x, by: tile.x) {
                    boxes.append(Box3(z: range, y: y..<min(shape.y, y + tile.y), x: x..<min(shape.x, x + tile.x)))
                }
            }
        }
        for box in boxes {
            if let (uniform, imageFill) = try uniformValues(box) {
                let area = box.y.count * box.x.count
                for z in range {
                    for key in work.wanted[z]!.pairs {
                        guard let a = uniform[key.a], let b = uniform[key.b], a.inside && b.inside else { continue }
                        counted[z]!.0[key]![a.label, b.label] += area
                    }
                    for name in work.wanted[z]!.sources {
                        guard let s = uniform[name], s.inside else { continue }
                        counted[z]!.1[name]![s.label] += area
                    }
                }
                if work.withImage { tileHook?(box, nil, Float(imageFill)) }
                continue
            }
            var labels: [String: Volume<UInt8>] = [:], masks: [String: Volume<UInt8>] = [:]
            for s in read {
                waitForScreen()
                labels[s.name] = try s.labels.readLabels(box, mapping: mapping)
                if let m = s.mask { masks[s.name] = try m.readMask(box) }
            }
            if work.withImage { waitForScreen(); tileHook?(box, try image.readImage(box), 0) }
            for z in range {
                let local = (z - range.lowerBound)..<(z - range.lowerBound + 1)
                for key in work.wanted[z]!.pairs {
                    guard let la = labels[key.a], let lb = labels[key.b] else { continue }
                    counted[z]!.0[key] = counted[z]!.0[key]! + Metrics.confusion(truth: la, prediction: lb, classes: classes,
                                                                                   masks: [masks[key.a], masks[key.b]].compactMap { $0 }, z: local)
                }
                for name in work.wanted[z]!.sources {
                    guard let l = labels[name] else { continue }
                    let h = Metrics.histogram(l, masks: [masks[name]].compactMap { $0 }, z: local)
                    for c in 0..<classes { counted[z]!.1[name]![c] += h[c] }
                }
            }
        }
        return counted
    }

    static func transposed(_ m: ConfusionMatrix) -> ConfusionMatrix {
        var t = ConfusionMatrix(classes: m.classes)
        for a in 0..<m.classes { for b in 0..<m.classes { t.counts[b * m.classes + a] = m.counts[a * m.classes + b] } }
        return t
    }
}
