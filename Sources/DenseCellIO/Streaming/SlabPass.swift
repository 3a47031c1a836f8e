import DenseCellCore
import Foundation

/// How much of a volume a streaming pass holds at once.
public enum ReadBudget {
    /// Bytes of all sources' slabs read together in one step of a streaming pass.
    public static let slabBytes = 128 << 20
    /// The largest z-plane (of all sources read together) a streaming pass accepts: a pass holds
    /// at least one plane of every source.
    static var planeLimitBytes: Int { min(2 << 30, Int(ProcessInfo.processInfo.physicalMemory / 8)) }

    /// Slices per step when `sources` are read together plane by plane, `bytesPerVoxel` bytes per
    /// voxel of each (what the pass keeps, e.g. 1 for labels and masks): about `slabBytes` in all
    /// (tests lower it to see many slabs), at least one plane, rounded down to a multiple of the
    /// sources' z-grain where possible.
    ///
    /// - Throws: `IOError(.tooLarge)` naming the first source when one plane of them all exceeds
    ///   `planeLimitBytes`.
    public static func slabDepth(_ sources: [VolumeSource], bytesPerVoxel: [Int], slabBytes: Int = slabBytes) throws(IOError) -> Int {
        guard let first = sources.first else { return 1 }
        let perPlane = zip(sources, bytesPerVoxel).reduce(0) { $0 + $1.0.shape.planeCount * $1.1 }
        guard perPlane <= planeLimitBytes else {
            throw IOError(.tooLarge, file: first.reference.path, dataset: first.reference.dataset,
                          "one z-plane of \(first.shape.y)×\(first.shape.x) voxels needs \(bytesText(perPlane))"
                          + (sources.count > 1 ? " for the \(sources.count) volumes read together" : "")
                          + ", more than the \(bytesText(planeLimitBytes)) a streaming pass may hold")
        }
        var depth = min(first.shape.z, slabDepth(bytesPerPlane: perPlane, slabBytes: slabBytes))
        let grain = sources.map(\.zGrain).max() ?? 1
        if grain > 1 && depth >= grain { depth -= depth % grain }
        return depth
    }

    /// Slices per step of a pass over arrays that are not volumes (probabilities, a scratch file's
    /// datasets) holding `bytesPerPlane` bytes per slice: about `slabBytes`, at least one.
    public static func slabDepth(bytesPerPlane: Int, slabBytes: Int = slabBytes) -> Int {
        max(1, slabBytes / max(1, bytesPerPlane))
    }

    /// `1.5 GiB`, `64 MiB`.
    static func bytesText(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var v = Double(bytes), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(bytes) bytes" : String(format: v < 10 ? "%.1f %@" : "%.0f %@", v, units[u])
    }
}

/// One streaming pass over opened volumes of one shape, z-slab by z-slab in bounded memory: the
/// loop behind metrics, reports, `info`, normalization, the gray window, region search, consensus
/// and copying (see docs/ARCHITECTURE.md, "Streaming passes").
/// Each distinct source is read once per slab however many inputs name it (sources are told apart
/// by their reference, so a mask shared by several label sources is read once); the next slab is
/// read on another thread while the current one is used, so a pass holds two slabs at most.
public struct SlabPass {
    /// How a source's voxels are handed over.
    public enum Reading: Hashable, Sendable {
        /// Class labels, read through the schema's mapping.
        case labels
        /// A 0/1 mask (nonzero voxels are inside).
        case mask
        /// Image intensities as float, refusing NaN and infinity.
        case image
        /// The voxels in the type they are read as.
        case stored
    }

    /// One slab of every source.
    public struct Slab {
        /// The slices it covers.
        public let z: Range<Int>
        /// The part of the volume it covers: whole planes, or a tile of them in a sparse pass.
        public let box: Box3
        /// Set when no source has anything written in `box`: each source's value there (its fill
        /// value), and nothing was read or materialised.
        public fileprivate(set) var uniform: [VolumeReference: Double]? = nil
        /// The value every voxel of `s` has in this slab, when the slab is uniform.
        public func uniformValue(_ s: VolumeSource) -> Double? { uniform?[s.reference] }
        /// Whether the slab holds no voxels, only each source's fill value.
        public var isUniform: Bool { uniform != nil }
        init(box: Box3) { self.box = box; z = box.z }
        fileprivate var labels: [VolumeReference: Volume<UInt8>] = [:]
        fileprivate var masks: [VolumeReference: Volume<UInt8>] = [:]
        fileprivate var images: [VolumeReference: Volume<Float>] = [:]
        fileprivate var stored: [VolumeReference: AnyVolume] = [:]

        /// The labels of a source read as `.labels`.
        public func labels(_ s: VolumeSource) -> Volume<UInt8> { labels[s.reference]! }
        /// The 0/1 mask of a source read as `.mask`.
        public func mask(_ s: VolumeSource) -> Volume<UInt8> { masks[s.reference]! }
        /// The masks of several sources read as `.mask`.
        public func masks(_ list: [VolumeSource]) -> [Volume<UInt8>] { list.map(mask) }
        /// The float intensities of a source read as `.image`.
        public func image(_ s: VolumeSource) -> Volume<Float> { images[s.reference]! }
        /// The voxels of a source read as `.stored`.
        public func stored(_ s: VolumeSource) -> AnyVolume { stored[s.reference]! }
    }

    /// The common (z, y, x) shape of the sources.
    public let shape: Shape3
    /// The slices the pass covers.
    public let z: Range<Int>
    /// Slices per slab.
    public let depth: Int
    /// The y and x extent of a tile in a sparse pass; nil for whole planes.
    public let tile: (y: Int, x: Int)?
    private let inputs: [(source: VolumeSource, reading: Reading)]
    private let mapping: LabelMapping
    private let cancel: CancelToken?

    /// A pass reading `inputs` together.
    ///
    /// - Parameters:
    ///   - inputs: the sources and how each is read (repeats are read once).
    ///   - mapping: how `.labels` sources' values become classes (the schema's); others are refused.
    ///   - extraBytesPerVoxel: what the caller holds per voxel of a slab besides the sources
    ///     (probability channels it reads itself, float copies it makes).
    ///   - z: the slices to cover (default: all).
    ///   - grain: slabs are made a multiple of this many slices (whole bins when binning).
    ///   - slabBytes: what the slabs of all sources read together may hold (at least one plane is read).
    ///   - cancel: stops the pass between slabs once set.
    ///   - sparse: for callers that count a uniform slab without its voxels — when every source is
    ///     chunked alike (Zarr, N5), the pass steps through tiles of whole chunks, and a tile where
    ///     no source has a chunk written comes as a uniform slab: nothing is read, decompressed or
    ///     allocated for it.
    /// - Throws: `IOError(.badShape)` when the sources differ in shape, `IOError(.tooLarge)` when
    ///   one plane of them all exceeds what a pass may hold.
    public init(_ inputs: [(source: VolumeSource, reading: Reading)], mapping: LabelMapping = LabelMapping(classCount: 256), extraBytesPerVoxel: Int = 0,
                z: Range<Int>? = nil, grain: Int = 1, slabBytes: Int = ReadBudget.slabBytes,
                cancel: CancelToken? = nil, sparse: Bool = false) throws(IOError) {
        var seen = Set<[AnyHashable]>()
        let distinct = inputs.filter { seen.insert([AnyHashable($0.source.reference), AnyHashable($0.reading)]).inserted }
        guard let first = distinct.first else { preconditionFailure("a slab pass reads at least one source") }
        for input in distinct where input.source.shape != first.source.shape {
            throw IOError(.badShape, file: input.source.reference.path, dataset: input.source.reference.dataset,
                          "shape \(input.source.shape) does not match \(first.source.reference) (\(first.source.shape))")
        }
        shape = first.source.shape
        self.z = z ?? 0..<shape.z
        self.inputs = distinct; self.mapping = mapping; self.cancel = cancel
        // What a slab holds per voxel of each source: the read type, and what it becomes.
        var bytes = distinct.map { input -> Int in
            switch input.reading {
            case .labels, .mask: input.source.readBytesPerVoxel + 1
            case .image: input.source.readBytesPerVoxel + 4
            case .stored: input.source.readBytesPerVoxel
            }
        }
        bytes[0] += extraBytesPerVoxel
        // Tiles of whole chunks, about 512×512 voxels, when every source is chunked alike.
        let chunkTiles = distinct.map { $0.source.chunkTile }
        if sparse, let first = chunkTiles.first ?? nil, chunkTiles.allSatisfy({ $0.map { $0 == first } ?? false }),
           first.y < shape.y || first.x < shape.x {
            let tile = Self.tile(chunkTile: first, shape: shape)
            let perPlane = bytes.reduce(0, +) * tile.y * tile.x
            // Tiles one chunk deep (at least 8 slices): a tile where one chunk was written is read
            // whole, so small tiles keep sparse stores cheap; dense ones still read millions of voxels a step.
            let zGrain = distinct.map(\.source.zGrain).max() ?? 1
            var depth = min(shape.z, max(zGrain, 8), ReadBudget.slabDepth(bytesPerPlane: perPlane, slabBytes: slabBytes))
            if zGrain > 1 && depth >= zGrain { depth -= depth % zGrain }
            self.tile = tile
            self.depth = depth
            return
        }
        tile = nil
        var depth = try ReadBudget.slabDepth(distinct.map(\.source), bytesPerVoxel: bytes, slabBytes: slabBytes)
        if grain > 1 { depth = max(grain, depth - depth % grain) }
        self.depth = depth
    }

    /// The tile a sparse pass steps through for chunks of `chunkTile` (y, x): whole chunks, about
    /// 512×512 voxels, at most the plane.
    public static func tile(chunkTile: (y: Int, x: Int), shape: Shape3) -> (y: Int, x: Int) {
        (min(shape.y, chunkTile.y * max(1, 512 / chunkTile.y)), min(shape.x, chunkTile.x * max(1, 512 / chunkTile.x)))
    }

    /// The slabs' slice ranges, in z order.
    public var slabs: [Range<Int>] { stride(from: z.lowerBound, to: z.upperBound, by: depth).map { $0..<min(z.upperBound, $0 + depth) } }

    /// The boxes the pass reads, in z order (then y, then x): whole planes, or tiles of them —
    /// a slab no source wrote anything in stays whole, so it costs one step however many tiles it has.
    func boxes() throws(IOError) -> [Box3] {
        guard let tile else { return slabs.map { Box3(z: $0, y: 0..<shape.y, x: 0..<shape.x) } }
        var list: [Box3] = []
        for zs in slabs {
            let whole = Box3(z: zs, y: 0..<shape.y, x: 0..<shape.x)
            if try uniformValues(whole) != nil { list.append(whole); continue }
            for y in stride(from: 0, to: shape.y, by: tile.y) {
                for x in stride(from: 0, to: shape.x, by: tile.x) {
                    list.append(Box3(z: zs, y: y..<min(shape.y, y + tile.y), x: x..<min(shape.x, x + tile.x)))
                }
            }
        }
        return list
    }

    /// Each source's fill value when no source wrote anything in `box`; nil otherwise.
    func uniformValues(_ box: Box3) throws(IOError) -> [VolumeReference: Double]? {
        var values: [VolumeReference: Double] = [:]
        for (source, _) in inputs {
            guard let value = try source.absentValue(box) else { return nil }
            values[source.reference] = value
        }
        return values
    }

    /// Calls `body` with consecutive slabs in z order, reading the next one meanwhile.
    ///
    /// - Parameter progress: called after each slab with the slices done (from `z`'s start) and the total.
    /// - Returns: false when the pass stopped early because its token was cancelled.
    /// - Throws: `IOError` from reading, or what `body` throws.
    @discardableResult
    public func run(progress: (Int, Int) -> Void = { _, _ in }, _ body: (Slab) throws(IOError) -> Void) throws(IOError) -> Bool {
        let ranges = try boxes()
        let pass = self
        final class Pending: @unchecked Sendable { var result: Result<Slab, IOError>? }
        func start(_ range: Box3) -> (DispatchGroup, Pending) {
            let group = DispatchGroup(), pending = Pending()
            group.enter()
            DispatchQueue.global(qos: .userInitiated).async {
                pending.result = Result { () throws(IOError) -> Slab in try pass.read(range) }
                group.leave()
            }
            return (group, pending)
        }
        var next = ranges.first.map(start)
        // A failure in `body` must not return while a read is still using the sources.
        defer { next?.0.wait() }
        for (k, range) in ranges.enumerated() {
            guard let (group, pending) = next else { break }
            group.wait()
            if cancel?.isCancelled == true { next = nil; return false }
            next = k + 1 < ranges.count ? start(ranges[k + 1]) : nil
            try body(try pending.result!.get())
            // A tile counts once the last tile of its slab is done.
            if range.y.upperBound == shape.y && range.x.upperBound == shape.x { progress(range.z.upperBound - z.lowerBound, z.count) }
        }
        return cancel?.isCancelled != true
    }

    /// Every source's voxels of `box`, or a uniform slab when, in a sparse pass, no source has
    /// anything written there.
    func read(_ box: Box3) throws(IOError) -> Slab {
        var slab = Slab(box: box)
        if tile != nil, let values = try uniformValues(box) {
            slab.uniform = values
            return slab
        }
        for (source, reading) in inputs {
            switch reading {
            case .labels: slab.labels[source.reference] = try source.readLabels(box, mapping: mapping)
            case .mask: slab.masks[source.reference] = try source.readMask(box)
            case .image: slab.images[source.reference] = try source.readImage(box)
            case .stored: slab.stored[source.reference] = try source.read(box)
            }
        }
        return slab
    }
}

extension VolumeSource {
    /// The gray window `Overlay.displayRange` gives for this whole image, from one streaming pass
    /// that keeps only the voxels `Overlay.WindowSampler` samples (so every figure of a series has
    /// the same brightness).
    ///
    /// - Throws: `IOError` from reading, or `.badValues` for NaN or infinity anywhere in the image.
    public func displayRange(slabBytes: Int = ReadBudget.slabBytes, progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> (lo: Float, hi: Float) {
        var sampler = Overlay.WindowSampler(count: shape.count)
        try SlabPass([(self, .image)], slabBytes: slabBytes).run(progress: progress ?? { _, _ in }) { slab in
            sampler.add(slab.image(self).data, first: slab.z.lowerBound * shape.planeCount)
        }
        return sampler.range
    }
}
