import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

/// A label source as the viewer holds it: readers of its labels and mask (indices into the
/// volume table), never the voxels.
struct ViewerSource {
    var name: String
    var role: SourceRole
    var labels: Int
    var mask: Int?
    /// Computed while the viewer runs (the ensemble, the live consensus), not read from the study.
    var derived: Bool
}

/// The study behind the view, out of core (docs/ARCHITECTURE.md, "Viewer"): readers of the
/// image and the sources, decoded planes in a bounded least-recently-used cache filled off the key
/// thread, the background pass's counts for the metrics, and the viewer cache file (ensemble
/// results, pyramid, counts). Nothing here holds a whole volume. The key thread asks for planes
/// and gets them or nil (then they are read in the background and the screen redrawn).
public final class ViewerData: @unchecked Sendable {
    let schema: LabelSchema
    /// The image's shape, which every source shares.
    public let shape: Shape3
    let image: VolumeSource
    private(set) var sources: [ViewerSource] = []
    /// Bumped whenever a source changes, so what was derived from it is redone.
    private(set) var revision = 0
    /// The gray window: estimated from a few slices at first, then from the whole image.
    private(set) var displayRange: (lo: Float, hi: Float)
    /// Whether `displayRange` is the whole image's (as `export` computes it).
    private(set) var displayRangeIsExact: Bool
    /// The image's mean and deviation for the ensemble, once the first pass has seen every slice.
    private(set) var normalization: InputNormalization?
    static let ensembleName = "ensemble"
    /// The live consensus of the review loop: A with the decisions applied.
    static let consensusName = "consensus"
    /// Sources the viewer computes while it runs, whose pixels change under a pane.
    static let derivedSources: Set<String> = [ensembleName, consensusName]

    enum VolumeKind { case image, labels, mask }
    struct VolumeEntry {
        let reader: VolumeSource
        let kind: VolumeKind
        /// The pyramid group in the cache file (sources on disk only).
        let pyramid: String?
    }
    /// The volume table (image first); guarded by `volumeLock` because the loader reads it.
    private var volumes: [VolumeEntry] = []
    private let volumeLock = NSLock()
    /// Planes of the gray image live under this volume number.
    static let grayVolume = -1
    /// Images up to this many voxels get their exact gray window when opened.
    static let exactWindowVoxels = 32 << 20
    let cache: PlaneCache
    let cacheFile: ViewerCacheFile
    private let temporaryCache: Bool
    private var loader: PlaneLoader!
    private(set) var pass: BackgroundPass!
    /// Pyramid levels above 0 (for planes this large).
    let levels: Int
    /// Slices whose pyramid is in the cache file, per volume.
    private var pyramidReady: [Int: Set<Int>] = [:]
    /// (volume, kind, source name) of the volumes with a pyramid in the cache file.
    private var pyramidVolumes: [(Int, VolumeKind, String?)] = []
    private let pyramidLock = NSLock()
    private var wanted: [PlaneKey] = []
    private var readoutWanted: [PlaneKey] = []
    /// Every plane this frame drew (kept in the cache however full it is).
    private var frameKeys: Set<PlaneKey> = []
    /// (volume, level) pairs drawn this frame, whose neighbouring slices are read ahead.
    private var drawn: Set<[Int]> = []
    /// Told (from any thread) when planes arrive or the pass counts more; wakes the key loop.
    let changed: @Sendable () -> Void
    /// Told of problems found in the background (one line each).
    let noticed: @Sendable (String) -> Void
    private let statisticsKey: String?
    private var statisticsSaved = false
    private var windowSampler: Overlay.WindowSampler
    private var normalizationSum = InputNormalization.Accumulator()
    private let hookLock = NSLock()
    let ensemble: EnsembleStore
    private var consensus: PatchedLabels?
    private var closed = false

    /// - Parameters:
    ///   - image: the image reader.
    ///   - sources: the label sources (readers of labels and masks), reference first.
    ///   - cacheFile: the viewer cache; nil uses a temporary one removed by `close()`.
    ///   - cacheBytes: the bound of decoded planes (`view --cache-mb`).
    ///   - ensembleKey: the models' cache key, to reuse ensemble results computed the same way.
    init(image: VolumeSource, sources list: [(name: String, role: SourceRole, labels: VolumeSource, mask: VolumeSource?)],
         schema: LabelSchema, cacheFile: ViewerCacheFile?, cacheBytes: Int, ensembleKey: String?,
         changed: @escaping @Sendable () -> Void = {}, noticed: @escaping @Sendable (String) -> Void = { _ in }) throws(IOError) {
        self.changed = changed
        self.noticed = noticed
        windowSampler = Overlay.WindowSampler(count: image.shape.count)
        self.schema = schema
        self.image = image
        shape = image.shape
        if let cacheFile { self.cacheFile = cacheFile; temporaryCache = false } else {
            self.cacheFile = try ViewerCacheFile.temporary(); temporaryCache = true
        }
        cache = PlaneCache(capacityBytes: cacheBytes)
        levels = PlanePyramid.levels(height: image.shape.y, width: image.shape.x)
        ensemble = try EnsembleStore(file: self.cacheFile, shape: image.shape,
                                     key: (ensembleKey ?? "no models") + "; image " + ViewerCacheFile.identity(of: image))
        // What the pass counts is kept under a key naming the image, every source and the schema.
        let onDisk = !image.isInMemory && list.allSatisfy { !$0.labels.isInMemory && !($0.mask?.isInMemory ?? false) }
        statisticsKey = onDisk ? ([ViewerCacheFile.identity(of: image), "classes \(schema.count)"]
            + list.map { "\($0.name)=\(ViewerCacheFile.identity(of: $0.labels)) \($0.mask.map(ViewerCacheFile.identity(of:)) ?? "")" })
            .joined(separator: "\n") : nil
        // The first window: the whole image's when it is in memory or small (a few tens of
        // megavoxels read in well under a second), else a few slices' (refined by the pass).
        if image.isInMemory || image.shape.count <= Self.exactWindowVoxels {
            displayRange = try image.displayRange()
            displayRangeIsExact = true
        } else {
            var samples: [Float] = []
            for z in Set([shape.z / 4, shape.z / 2, 3 * shape.z / 4]).sorted() {
                let plane = try image.readImage(image.slab(z..<(z + 1)))
                let stride = max(1, plane.data.count / 65536)
                samples += Swift.stride(from: 0, to: plane.data.count, by: stride).map { plane.data[$0] }
            }
            displayRange = Overlay.displayRange(samples: samples)
            displayRangeIsExact = false
        }
        volumes.append(VolumeEntry(reader: image, kind: .image, pyramid: pyramidGroup(image)))
        var passSources: [BackgroundPass.Source] = []
        for s in list {
            let labels = addVolume(s.labels, .labels)
            let mask = s.mask.map { addVolume($0, .mask) }
            sources.append(ViewerSource(name: s.name, role: s.role, labels: labels, mask: mask, derived: false))
            passSources.append(.init(name: s.name, labels: s.labels, mask: s.mask, cacheable: !s.labels.isInMemory))
        }
        let restored = restoreStatistics()
        preparePyramids(complete: restored)
        // The study's own volumes, fixed from here on (the pass's thread reads this list).
        pyramidVolumes = volumes.indices.compactMap { i in
            guard volumes[i].pyramid != nil else { return nil }
            return (i, volumes[i].kind, sources.first { $0.labels == i || $0.mask == i }?.name)
        }
        // The first slice of every volume, read now: labels outside the schema or an image holding
        // NaN are refused before the screen opens, and the first frame draws from these planes.
        for i in volumes.indices {
            do { cache.put(PlaneKey(volume: i, z: 0, level: 0), try readPlane(PlaneKey(volume: i, z: 0, level: 0))) }
            catch let error as IOError { throw error }
            catch { throw IOError(.corrupt, file: volumes[i].reader.reference.path, "\(error)") }
        }
        let cache = self.cache
        loader = PlaneLoader(cache: cache, read: { [weak self] key in
                                 guard let self else { throw CancellationError() }
                                 return try self.readPlane(key)
                             },
                             loaded: { [weak self] _, error in
                                 if let error { self?.noticed("cannot read a slice: \(error)") }
                                 self?.changed()
                             })
        let inMemory = image.isInMemory && list.allSatisfy { $0.labels.isInMemory && ($0.mask?.isInMemory ?? true) }
        pass = BackgroundPass(image: image, classes: schema.count, imageSeen: restored, inline: inMemory,
                              hook: restored ? nil : { [weak self] z, image, labels, masks in self?.firstPass(z, image, labels, masks) },
                              changed: { [weak self] in self?.changed() }, failed: { [weak self] in self?.noticed($0) })
        let planeLoader = loader!
        pass.screenWaits = { planeLoader.readsForScreen }
        if let restoredCounts = restoredCounts { pass.restore(confusions: restoredCounts.0, histograms: restoredCounts.1) }
        restoredCounts = nil
        if ensemble.exists { addEnsembleSource() }
        pass.setSources(passSources + derivedPassSources())
    }

    deinit { close() }

    /// Stops the background work; a temporary cache file is removed.
    func close() {
        guard !closed else { return }
        closed = true
        if pass != nil { passReported() }
        // Also after an init that threw before the threads were made.
        loader?.stop()
        pass?.stop()
        cacheFile.flush()
        if temporaryCache { cacheFile.removeFile() }
    }

    var organelles: Set<Int> { Set(schema.organelles) }

    func sourceIndex(_ name: String) -> Int? { sources.firstIndex { $0.name == name } }

    private func addVolume(_ reader: VolumeSource, _ kind: VolumeKind) -> Int {
        volumeLock.lock(); defer { volumeLock.unlock() }
        volumes.append(VolumeEntry(reader: reader, kind: kind, pyramid: pyramidGroup(reader)))
        return volumes.count - 1
    }

    /// Volumes in the table (image, sources, masks, derived sources).
    var volumeCount: Int { volumeLock.lock(); defer { volumeLock.unlock() }; return volumes.count }

    private func volume(_ i: Int) -> VolumeEntry { volumeLock.lock(); defer { volumeLock.unlock() }; return volumes[i] }

    /// The reader of a source's labels or mask.
    func reader(_ volumeIndex: Int) -> VolumeSource { volume(volumeIndex).reader }

    // MARK: Planes

    /// The pyramid level to draw a pane at `zoom` screen pixels per voxel: the coarsest whose
    /// pixels are still no larger than a screen pixel. Disagreement maps stay at full resolution,
    /// where a one-voxel error is still there to be tinted.
    func level(forZoom zoom: Double, kind: PaneKind = .image) -> Int {
        if case .disagreement = kind { return 0 }
        guard zoom < 1, levels > 0 else { return 0 }
        return min(levels, Int(log2(1 / zoom) + 1e-9))
    }

    /// The gray plane of slice z (0…255 through the display window), or nil while it is read.
    func gray(z: Int, level: Int) -> Plane? {
        let key = PlaneKey(volume: Self.grayVolume, z: z, level: level)
        frameKeys.insert(key)
        if let g = cache.get(key) { return g }
        guard let raw = plane(0, z: z, level: level) else { return nil }
        let lo = displayRange.lo, hi = displayRange.hi
        var gray = Plane(height: raw.height, width: raw.width)
        if raw.floats.isEmpty {
            let table = (0..<256).map { Overlay.gray(Float($0), lo: lo, hi: hi) }
            gray.bytes = raw.bytes.map { table[Int($0)] }
        } else {
            gray.bytes = raw.floats.map { Overlay.gray($0, lo: lo, hi: hi) }
        }
        cache.put(key, gray)
        return gray
    }

    /// Plane z of a volume at a level, or nil while it is read (it is then queued).
    func plane(_ volumeIndex: Int, z: Int, level: Int) -> Plane? {
        let key = PlaneKey(volume: volumeIndex, z: z, level: level)
        drawn.insert([volumeIndex, level])
        frameKeys.insert(key)
        if let p = cache.get(key) { return p }
        // Memory is not disk: small studies built in code are read at once.
        if volume(volumeIndex).reader.isInMemory, let p = try? readPlane(key) {
            cache.put(key, p)
            return p
        }
        if !wanted.contains(key) { wanted.append(key) }
        return nil
    }

    /// Whether reading this plane failed (shown instead of "reading").
    func planeFailed(_ volumeIndex: Int, z: Int, level: Int) -> Bool {
        loader.hasFailed(PlaneKey(volume: volumeIndex, z: z, level: level))
    }

    /// After a frame: reads what it lacked, then the neighbouring slices of what it drew; the
    /// pass counts the slice on screen first.
    func requestPlanes(around z: Int) {
        var prefetch: [PlaneKey] = []
        let drawnNow = drawn.sorted { $0.lexicographicallyPrecedes($1) }
        // Read ahead only what fits in the cache beside what is on screen.
        let perSlice = drawnNow.reduce(0) { $0 + (cache.peek(PlaneKey(volume: $1[0], z: z, level: $1[1]))?.byteCount ?? 0) }
        var room = cache.capacity - cache.bytes
        for dz in [1, -1, 2, -2] where z + dz >= 0 && z + dz < shape.z && perSlice > 0 && room >= perSlice {
            room -= perSlice
            for d in drawnNow { prefetch.append(PlaneKey(volume: d[0], z: z + dz, level: d[1])) }
        }
        // The cursor readout's full-resolution planes come right after what the panes need.
        cache.pin(frameKeys)
        loader.want(wanted, soon: readoutWanted, prefetch: prefetch)
        wanted = []
        readoutWanted = []
        frameKeys = []
        drawn = []
        pass.prioritize(z)
    }

    /// Whether every plane the screen asked for is read (read-ahead may still run).
    public var screenPlanesRead: Bool { wanted.isEmpty && !loader.readsForScreen }

    /// Whether no plane is waiting to be read (tests wait for this).
    public var planesIdle: Bool { wanted.isEmpty && readoutWanted.isEmpty && loader.isIdle }

    /// Reads a plane from its volume (level 0), the pyramid in the cache file, or by halving
    /// the level below (on the loader's thread, or at once for volumes in memory).
    private func readPlane(_ key: PlaneKey) throws -> Plane {
        let v = volume(key.volume)
        let s = v.reader.shape
        if key.level == 0 {
            let box = v.reader.slab(key.z..<(key.z + 1))
            var p = Plane(height: s.y, width: s.x)
            switch v.kind {
            case .image:
                if v.reader.typeName == "uint8", case .uint8(let b) = try v.reader.read(box) { p.bytes = b.data }
                else { p.floats = try v.reader.readImage(box).data }
            case .labels: p.bytes = try v.reader.readLabels(box, classCount: schema.count).data
            case .mask: p.bytes = try v.reader.readMask(box).data
            }
            return p
        }
        let size = PlanePyramid.size(height: s.y, width: s.x, level: key.level)
        if let group = v.pyramid, pyramidHas(key.volume, key.z) {
            let stored = try cacheFile.volume("\(group)/\(key.level)")
            let box = Box3(z: key.z..<(key.z + 1), y: 0..<size.height, x: 0..<size.width)
            var p = Plane(height: size.height, width: size.width)
            switch try stored.read(box) {
            case .uint8(let b): p.bytes = b.data
            case let other: p.floats = other.asFloat().data
            }
            return p
        }
        let belowKey = PlaneKey(volume: key.volume, z: key.z, level: key.level - 1)
        let below: Plane
        if let cached = cache.get(belowKey) { below = cached } else { below = try readPlane(belowKey); cache.put(belowKey, below) }
        return Self.halve(below, kind: v.kind)
    }

    static func halve(_ p: Plane, kind: VolumeKind) -> Plane {
        let size = PlanePyramid.size(height: p.height, width: p.width, level: 1)
        var out = Plane(height: size.height, width: size.width)
        switch kind {
        case .image:
            if p.floats.isEmpty { out.bytes = PlanePyramid.halveMean(p.bytes, height: p.height, width: p.width) }
            else { out.floats = PlanePyramid.halveMean(p.floats, height: p.height, width: p.width) }
        case .labels, .mask: out.bytes = PlanePyramid.halveMode(p.bytes, height: p.height, width: p.width)
        }
        return out
    }

    /// The raw image value at a voxel, from the full-resolution plane (nil while it is read:
    /// zoomed out, the cursor's slice is read at full resolution after the panes' planes).
    func imageValue(z: Int, y: Int, x: Int) -> Float? {
        fullResolution(0, z: z).map { $0.value(y, x) }
    }

    /// A source's label at a voxel (nil: not read yet; -1: outside its mask).
    func label(_ s: Int, z: Int, y: Int, x: Int) -> Int? {
        let src = sources[s]
        if let m = src.mask {
            guard let mask = fullResolution(m, z: z) else { return nil }
            if mask.bytes[y * mask.width + x] == 0 { return -1 }
        }
        return fullResolution(src.labels, z: z).map { Int($0.bytes[y * $0.width + x]) }
    }

    /// A level-0 plane for the cursor readout: read after the panes' planes, before read-ahead.
    private func fullResolution(_ volumeIndex: Int, z: Int) -> Plane? {
        let key = PlaneKey(volume: volumeIndex, z: z, level: 0)
        if let p = cache.get(key) { return p }
        if volume(volumeIndex).reader.isInMemory, let p = try? readPlane(key) { cache.put(key, p); return p }
        if !readoutWanted.contains(key) { readoutWanted.append(key) }
        return nil
    }

    /// The readers behind the sources as they stand (taken on the key thread, read on any).
    struct SourceReaders: @unchecked Sendable {
        var image: VolumeSource
        var schema: LabelSchema
        var sources: [(name: String, role: SourceRole, labels: VolumeSource, mask: VolumeSource?)]

        /// The slice (z..<z+1) of the image and every source at full resolution: for figure export.
        func sliceStudy(z: Int) throws(IOError) -> Study {
            let box = image.slab(z..<(z + 1))
            var labels: [LabelSource] = []
            for s in sources {
                labels.append(LabelSource(name: s.name, role: s.role, labels: try s.labels.readLabels(box, classCount: schema.count),
                                          mask: try s.mask.map { (m: VolumeSource) throws(IOError) in try m.readMask(box) }))
            }
            return Study(image: try image.readImage(box), labels: labels, schema: schema)
        }
    }

    var sourceReaders: SourceReaders {
        SourceReaders(image: image, schema: schema,
                      sources: sources.map { ($0.name, $0.role, reader($0.labels), $0.mask.map(reader)) })
    }

    /// Whether the planes of these sources' panes at slice z are at hand (asking for them if not).
    func planesAvailable(z: Int, level: Int, names: [String]) -> Bool {
        var ready = gray(z: z, level: level) != nil
        for name in names {
            guard let i = sourceIndex(name) else { continue }
            ready = plane(sources[i].labels, z: z, level: level) != nil && ready
            if let m = sources[i].mask { ready = plane(m, z: z, level: level) != nil && ready }
        }
        return ready
    }

    /// The study made of the planes drawn at `level` of slice z (gray as the image, window 0…255),
    /// or nil while one is read: what the pixel panes rasterize.
    func planeStudy(z: Int, level: Int, names: [String]) -> Study? {
        guard let g = gray(z: z, level: level) else { return nil }
        let s = Shape3(1, g.height, g.width)
        var labels: [LabelSource] = []
        for name in names {
            guard let i = sourceIndex(name) else { continue }
            guard let l = plane(sources[i].labels, z: z, level: level) else { return nil }
            var mask: Volume<UInt8>? = nil
            if let m = sources[i].mask {
                guard let mp = plane(m, z: z, level: level) else { return nil }
                mask = .init(shape: s, data: mp.bytes)
            }
            labels.append(LabelSource(name: name, role: sources[i].role, labels: .init(shape: s, data: l.bytes), mask: mask))
        }
        return Study(image: .init(shape: s, data: g.bytes.map(Float.init)), labels: labels, schema: schema)
    }

    // MARK: Pyramid and the first pass

    private func pyramidGroup(_ reader: VolumeSource) -> String? {
        guard !reader.isInMemory, levels > 0 else { return nil }
        return "/pyramid/" + ViewerCacheFile.digest(ViewerCacheFile.identity(of: reader))
    }

    private func pyramidHas(_ volume: Int, _ z: Int) -> Bool {
        pyramidLock.lock(); defer { pyramidLock.unlock() }
        return pyramidReady[volume]?.contains(z) ?? false
    }

    /// Pyramids kept from an earlier visit are used whole; others are (re)made by the first pass.
    private func preparePyramids(complete: Bool) {
        for (i, v) in volumes.enumerated() {
            guard let group = v.pyramid else { continue }
            let identity = ViewerCacheFile.identity(of: v.reader)
            if complete && cacheFile.key(group) == identity + " complete" {
                pyramidReady[i] = Set(0..<shape.z)
                continue
            }
            cacheFile.remove(group)
            do {
                for level in 1...levels {
                    let size = PlanePyramid.size(height: shape.y, width: shape.x, level: level)
                    let s = Shape3(shape.z, size.height, size.width)
                    if v.kind == .image && v.reader.typeName != "uint8" { try cacheFile.createFloatVolume("\(group)/\(level)", shape: s) }
                    else { try cacheFile.createVolume("\(group)/\(level)", shape: s) }
                }
                try cacheFile.setKey(group, identity + " partial")
            } catch {
                noticed("pyramid not cached: \(error)")
            }
        }
    }

    /// The first pass's work on a slab: window and normalization samples, pyramid levels.
    private func firstPass(_ z: Range<Int>, _ image: Volume<Float>?, _ labels: [String: Volume<UInt8>],
                           _ masks: [String: Volume<UInt8>]) {
        guard let image else { return }
        hookLock.lock()
        windowSampler.add(image.data, first: z.lowerBound * shape.planeCount)
        normalizationSum.add(image.data)
        hookLock.unlock()
        guard levels > 0 else { return }
        let plane = shape.planeCount
        var slabs: [(Int, VolumeKind, [UInt8], [Float])] = []
        for (index, kind, name) in pyramidVolumes {
            switch kind {
            case .image:
                let uint8 = volume(index).reader.typeName == "uint8"
                slabs.append(uint8 ? (index, .image, image.data.map { UInt8($0) }, []) : (index, .image, [], image.data))
            case .labels, .mask:
                guard let name, let slab = kind == .labels ? labels[name] : masks[name] else { continue }
                slabs.append((index, kind, slab.data, []))
            }
        }
        do {
            for (index, kind, bytes, floats) in slabs {
                guard let group = volume(index).pyramid else { continue }
                var planes: [Plane] = z.indices.map { k in
                    let range = (k - z.lowerBound) * plane..<((k - z.lowerBound + 1) * plane)
                    return Plane(height: shape.y, width: shape.x, bytes: bytes.isEmpty ? [] : Array(bytes[range]),
                                 floats: floats.isEmpty ? [] : Array(floats[range]))
                }
                for level in 1...levels {
                    planes = planes.map { Self.halve($0, kind: kind) }
                    let box = Box3(z: z, y: 0..<planes[0].height, x: 0..<planes[0].width)
                    if planes[0].floats.isEmpty { try cacheFile.write("\(group)/\(level)", box: box, planes.flatMap(\.bytes), type: .uint8) }
                    else { try cacheFile.write("\(group)/\(level)", box: box, planes.flatMap(\.floats), type: .float32) }
                }
                pyramidLock.lock(); pyramidReady[index, default: []].formUnion(z); pyramidLock.unlock()
            }
        } catch {
            noticed("pyramid not cached: \(error)")
        }
    }

    // MARK: Counts kept in the cache file

    private struct SavedStatistics: Codable {
        var window: [Float]
        var normalization: [Float]
        var pairs: [BackgroundPass.PairNames]
        /// [z][pair] → counts.
        var confusions: [[[Int]]]
        var names: [String]
        /// [z][source] → histogram.
        var histograms: [[[Int]]]
    }
    private var restoredCounts: ([[BackgroundPass.PairNames: ConfusionMatrix]], [[String: [Int]]])?

    private func restoreStatistics() -> Bool {
        guard let key = statisticsKey, let bytes = cacheFile.blob("/statistics", key: key),
              let saved = try? JSONDecoder().decode(SavedStatistics.self, from: Data(bytes)),
              saved.confusions.count == shape.z, saved.histograms.count == shape.z, saved.window.count == 2,
              saved.normalization.count == 2 else { return false }
        let n = schema.count
        var c: [[BackgroundPass.PairNames: ConfusionMatrix]] = []
        for perZ in saved.confusions {
            var d: [BackgroundPass.PairNames: ConfusionMatrix] = [:]
            for (k, counts) in zip(saved.pairs, perZ) where counts.count == n * n {
                var m = ConfusionMatrix(classes: n); m.counts = counts; d[k] = m
            }
            c.append(d)
        }
        let h = saved.histograms.map { perZ in Dictionary(uniqueKeysWithValues: zip(saved.names, perZ)) }
        restoredCounts = (c, h)
        displayRange = (saved.window[0], saved.window[1])
        displayRangeIsExact = true
        normalization = InputNormalization(mean: saved.normalization[0], std: saved.normalization[1])
        statisticsSaved = true
        return true
    }

    /// On the key thread after the pass reported: takes the whole image's window and
    /// normalization once the first pass has seen every slice, and keeps the counts in the cache.
    /// Returns whether the window changed (the panes are then redrawn).
    @discardableResult
    func passReported() -> Bool {
        guard !statisticsSaved, pass.progress.done == shape.z || pass.isIdle else { return false }
        guard let counts = pass.cacheableCounts() else { return false }
        statisticsSaved = true
        hookLock.lock()
        let window = windowSampler.range
        let norm = normalizationSum.result
        windowSampler = Overlay.WindowSampler(count: 0)
        hookLock.unlock()
        let changed = !displayRangeIsExact && (window.lo != displayRange.lo || window.hi != displayRange.hi)
        if !displayRangeIsExact {
            displayRange = window
            displayRangeIsExact = true
            cache.remove { $0.volume == Self.grayVolume }
        }
        if normalization == nil { normalization = norm }
        guard let key = statisticsKey else { return changed }
        let cacheable = sources.filter { !$0.derived }.map(\.name)
        var pairs: [BackgroundPass.PairNames] = []
        for (i, a) in cacheable.enumerated() { for b in cacheable[(i + 1)...] { pairs.append(.init(a: a, b: b)) } }
        let saved = SavedStatistics(
            window: [displayRange.lo, displayRange.hi], normalization: [norm.mean, norm.std], pairs: pairs,
            confusions: counts.confusions.map { d in pairs.map { d[$0]?.counts ?? [] } }, names: cacheable,
            histograms: counts.histograms.map { d in cacheable.map { d[$0] ?? [] } })
        do {
            try cacheFile.setBlob("/statistics", key: key, [UInt8](try JSONEncoder().encode(saved)))
            for v in volumes where v.pyramid != nil {
                try cacheFile.setKey(v.pyramid!, ViewerCacheFile.identity(of: v.reader) + " complete")
            }
            cacheFile.flush()
        } catch {
            noticed("volume statistics not cached: \(error)")
        }
        return changed
    }

    // MARK: Metrics (from the pass's counts; nil while not counted)

    /// Confusion matrix of sources a (rows) and b (columns), within both masks; z nil = volume.
    func confusion(_ a: Int, _ b: Int, z: Int?) -> ConfusionMatrix? {
        pass.confusion(sources[a].name, sources[b].name, z: z)
    }

    /// MIoU(org) and MIoU(all) of every pair; nil until all are counted.
    func pairwise(z: Int?) -> PairwiseComparison? {
        let n = sources.count
        var matrices = [[ConfusionMatrix?]](repeating: [ConfusionMatrix?](repeating: nil, count: n), count: n)
        for i in 0..<n {
            for j in i..<n {
                guard let m = confusion(i, j, z: z) ?? (i == j ? selfConfusion(i, z: z) : nil) else { return nil }
                matrices[i][j] = m
            }
        }
        return Metrics.pairwise(names: sources.map(\.name), confusions: matrices, schema: schema)
    }

    /// A source against itself: its histogram on the diagonal.
    private func selfConfusion(_ s: Int, z: Int?) -> ConfusionMatrix? {
        guard let h = pass.histogram(sources[s].name, z: z) else { return nil }
        var m = ConfusionMatrix(classes: schema.count)
        for c in 0..<schema.count { m[c, c] = h[c] }
        return m
    }

    /// Organelle volume fractions of a source, within its own mask.
    func fractions(_ s: Int, z: Int?) -> [Double?]? {
        pass.histogram(sources[s].name, z: z).map { Metrics.volumeFractions(histogram: $0, schema: schema) }
    }

    /// Disagreeing voxels per slice of a pair, within both masks (slices not yet counted as 0),
    /// and whether every slice is counted.
    func ranking(_ pair: SourcePair) -> (DisagreementRanking, complete: Bool) {
        let counts = pass.disagreements(sources[pair.a].name, sources[pair.b].name)
        return (DisagreementRanking(pair: pair, revision: revision, counts: counts.map { $0 ?? 0 }), !counts.contains(nil))
    }

    /// The pass's progress for the footer: nil once everything is counted.
    public var passProgress: (done: Int, total: Int)? {
        if pass.failure != nil { return nil }
        let p = pass.progress
        return p.done == p.total ? nil : p
    }

    /// Whether the pass has nothing left (tests wait for this); a pass stopped by a failure has not.
    var passIdle: Bool { pass.isIdle || pass.failure != nil }

    /// Why the volume could not be counted, when a source could not be read.
    var passFailure: String? { pass.failure }

    // MARK: Ensemble results (in the cache file)

    private func addEnsembleSource() {
        guard sourceIndex(Self.ensembleName) == nil, let readers = ensemble.readers else { return }
        let labels = addVolume(readers.labels, .labels), mask = addVolume(readers.done, .mask)
        sources.append(ViewerSource(name: Self.ensembleName, role: .algorithm, labels: labels, mask: mask, derived: true))
    }

    private func derivedPassSources() -> [BackgroundPass.Source] { passSources().filter { sourceIndex($0.name).map { sources[$0].derived } ?? false } }

    private func passSources() -> [BackgroundPass.Source] {
        let store = ensemble
        return sources.map { s in
            var p = BackgroundPass.Source(name: s.name, labels: reader(s.labels), mask: s.mask.map(reader),
                                          cacheable: !s.derived && !reader(s.labels).isInMemory)
            // The ensemble counts nothing where it has not run.
            if s.name == Self.ensembleName { p.unlabeled = { z in store.coverage(z: z) == 0 } }
            return p
        }
    }

    /// After the job wrote ensemble labels into `box` of the cache file: drops the planes and
    /// counts they replace. Returns true when the ensemble source is new.
    @discardableResult
    func ensembleWritten(_ box: Box3) -> Bool {
        let created = sourceIndex(Self.ensembleName) == nil
        if created { addEnsembleSource(); pass.setSources(passSources()) }
        guard let i = sourceIndex(Self.ensembleName) else { return false }
        for v in [sources[i].labels, sources[i].mask].compactMap({ $0 }) { cache.invalidate(volume: v, z: box.z) }
        pass.invalidate(Self.ensembleName, z: box.z)
        revision += 1
        return created
    }

    /// Stores ensemble labels for `box` and shows them (what the job's tiles do, on this thread).
    ///
    /// - Throws: `IOError(.writeFailed)` when the viewer cache cannot be written.
    func insertEnsemble(_ labels: Volume<UInt8>, at box: Box3) throws(IOError) {
        try ensemble.write(SegmentationTile(box: box, labels: labels))
        ensembleWritten(box)
    }

    /// Whether every voxel of `box` already has ensemble labels.
    func ensembleCovers(_ box: Box3) -> Bool { ensemble.covers(box) }

    // MARK: The live consensus

    /// Starts (or restarts) the consensus as A's labels with no decision applied.
    func resetConsensus(base a: Int) {
        let src = sources[a]
        let patched = PatchedLabels(base: reader(src.labels), classCount: schema.count, name: Self.consensusName)
        consensus = patched
        let labels = addVolume(patched, .labels)
        let source = ViewerSource(name: Self.consensusName, role: .truth, labels: labels, mask: src.mask, derived: true)
        if let i = sourceIndex(Self.consensusName) { sources[i] = source } else { sources.append(source) }
        pass.setSources(passSources())
        pass.invalidate(Self.consensusName, z: 0..<shape.z)
        revision += 1
    }

    /// Sets the patch of a decided region (nil: back to A's labels there).
    func patchConsensus(_ id: Int, _ patch: Consensus.Patch?, box: Box3) {
        guard let consensus, let i = sourceIndex(Self.consensusName) else { return }
        consensus.setPatch(id, patch)
        cache.invalidate(volume: sources[i].labels, z: box.z)
        pass.invalidate(Self.consensusName, z: box.z)
        revision += 1
    }
}
