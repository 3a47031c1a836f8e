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
    /// - Throws: `IOError(.badShape)` when the sources differ in shape, `IOError(.tooLarge)` when
    ///   one plane of them all exceeds what a pass may hold.
    public init(_ inputs: [(source: VolumeSource, reading: Reading)], mapping: LabelMapping = LabelMapping(classCount: 256), extraBytesPerVoxel: Int = 0,
                z: Range<Int>? = nil, grain: Int = 1, slabBytes: Int = ReadBudget.slabBytes,
                cancel: CancelToken? = nil) throws(IOError) {
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
        var depth = try ReadBudget.slabDepth(distinct.map(\.source), bytesPerVoxel: bytes, slabBytes: slabBytes)
        if grain > 1 { depth = max(grain, depth - depth % grain) }
        self.depth = depth
    }

    /// The slabs' slice ranges, in z order.
    public var slabs: [Range<Int>] { stride(from: z.lowerBound, to: z.upperBound, by: depth).map { $0..<min(z.upperBound, $0 + depth) } }

    /// Calls `body` with consecutive slabs in z order, reading the next one meanwhile.
    ///
    /// - Parameter progress: called after each slab with the slices done (from `z`'s start) and the total.
    /// - Returns: false when the pass stopped early because its token was cancelled.
    /// - Throws: `IOError` from reading, or what `body` throws.
    @discardableResult
    public func run(progress: (Int, Int) -> Void = { _, _ in }, _ body: (Slab) throws(IOError) -> Void) throws(IOError) -> Bool {
        let ranges = slabs
        let pass = self
        final class Pending: @unchecked Sendable { var result: Result<Slab, IOError>? }
        func start(_ range: Range<Int>) -> (DispatchGroup, Pending) {
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
            progress(range.upperBound - z.lowerBound, z.count)
        }
        return cancel?.isCancelled != true
    }

    /// Every source's voxels of slices `z`.
    func read(_ z: Range<Int>) throws(IOError) -> Slab {
        var slab = Slab(z: z)
        for (source, reading) in inputs {
            let box = source.slab(z)
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
