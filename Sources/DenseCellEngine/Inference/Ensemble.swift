import DenseCellCore
import DenseCellIO
import Foundation

/// Top-k models whose class probabilities are averaged per voxel (docs/ARCHITECTURE.md, "Inference"), with their compiled
/// plans kept for reuse between calls.
public final class Ensemble: @unchecked Sendable {
    /// The models, best first when loaded with `load(paths:top:)`.
    public let models: [NetworkModel]
    /// Content checksums of the model files (FNV-1a 64 of the bytes), for result caches.
    public let checksums: [String]
    /// Class names, in channel order (the same for every model).
    public var classNames: [String] { models[0].classNames }
    /// Output classes (the same for every model).
    public var classes: Int { models[0].architecture.classes }
    private let caches: [NetworkCache]
    /// One run at a time: the compiled plans own their activation buffers.
    private let runLock = NSLock()

    /// - Parameters:
    ///   - models: at least one model; all with the same classes.
    ///   - checksums: the models' file checksums, when they came from files; computed from the
    ///     weights otherwise.
    /// - Throws: `EngineError` for an empty list or models that disagree on the classes.
    public init(models: [NetworkModel], checksums: [String]? = nil) throws(EngineError) {
        guard let first = models.first else { throw EngineError(.badInput, "an ensemble needs at least one model") }
        for m in models where m.architecture.classes != first.architecture.classes {
            throw EngineError(.badModel, "\(m.path ?? "model"): \(m.architecture.classes) classes, but \(first.path ?? "the first model") has \(first.architecture.classes)")
        }
        self.models = models
        self.checksums = checksums ?? models.map(Self.checksum(of:))
        // Models run one after another, so they share one block of activation memory.
        let pool = ActivationPool()
        caches = models.map { NetworkCache(model: $0, pool: pool) }
    }

    /// Loads model files (or every model file `*.h5` in a directory) and keeps the Top-k by
    /// `eval_miou_all` (nil = all; never-evaluated models rank last, ties by path).
    /// - Parameters:
    ///   - paths: model files or directories of them.
    ///   - top: how many of the best to keep; nil keeps all.
    /// - Returns: the ensemble, best model first.
    /// - Throws: `IOError` for missing files, `EngineError` for files that are not usable models.
    public static func load(paths: [String], top: Int?) throws -> Ensemble {
        var files: [String] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                throw IOError(.missingFile, file: path, "no such model file or directory")
            }
            if isDir.boolValue {
                let names = (try? fm.contentsOfDirectory(atPath: path)) ?? []
                let models = names.filter { $0.hasSuffix(".h5") && !$0.hasPrefix(".") }.sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
                    .filter { isModelFile($0) }
                guard !models.isEmpty else { throw IOError(.missingFile, file: path, "no densecell model files (*.h5) in this directory") }
                files += models
            } else {
                files.append(path)
            }
        }
        if let top, top < 1 { throw EngineError(.badInput, "--top must be at least 1") }
        var loaded: [(NetworkModel, String)] = []
        for f in files {
            let model = try NetworkModel.load(path: f)
            loaded.append((model, try fileChecksum(f)))
        }
        loaded.sort { a, b in
            let x = a.0.evalMiouAll.isNaN ? -.infinity : a.0.evalMiouAll
            let y = b.0.evalMiouAll.isNaN ? -.infinity : b.0.evalMiouAll
            return x != y ? x > y : (a.0.path ?? "") < (b.0.path ?? "")
        }
        if let top { loaded = Array(loaded.prefix(top)) }
        return try Ensemble(models: loaded.map(\.0), checksums: loaded.map(\.1))
    }

    static func isModelFile(_ path: String) -> Bool {
        guard let f = try? HDF5File(path: path) else { return false }
        return f.attribute("/", "format")?.stringValue == NetworkModel.format
    }

    /// FNV-1a 64 of a file's bytes, as 16 hex digits.
    static func fileChecksum(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IOError(.missingFile, file: path, "cannot read model file")
        }
        return FNV1a.hex(data)
    }

    /// For models not read from a file: checksum of the weights in layer order.
    static func checksum(of model: NetworkModel) -> String {
        if let path = model.path, let c = try? fileChecksum(path) { return c }
        var bytes: [UInt8] = []
        for layer in model.architecture.layers {
            let w = model.weights[layer.name]!
            for v in w.kernel + w.bias { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        }
        return FNV1a.hex(bytes)
    }

    /// Segments `image` (or its region of interest) on the calling thread. Normalization statistics
    /// come from the whole `image`.
    /// - Parameters:
    ///   - image: the volume, raw intensities.
    ///   - roi: the region to label; nil is the whole volume.
    ///   - options: window, test-time augmentation and precision.
    ///   - wantProbabilities: also return the averaged class probabilities.
    ///   - cancel: checked between windows.
    ///   - progress: called after every window and when slices become final.
    /// - Returns: labels (and probabilities) of the region.
    /// - Throws: `CancelledError` when cancelled, `EngineError` (`.badInput` for a bad window).
    public func segment(_ image: Volume<Float>, roi: Box3? = nil, options: InferenceOptions = InferenceOptions(),
                        wantProbabilities: Bool = false, cancel: CancelToken? = nil,
                        progress: ((InferenceProgress) -> Void)? = nil) throws -> Segmentation {
        let box = roi ?? Box3(shape: image.shape)
        var labels = Volume<UInt8>(shape: box.shape, repeating: 0)
        var probabilities: [Float]? = wantProbabilities ? [Float](repeating: 0, count: classes * box.shape.count) : nil
        let plane = box.y.count * box.x.count
        try segmentStreaming(volume: image.shape, normalization: .of(image), roi: box, options: options,
                             wantProbabilities: wantProbabilities, cancel: cancel,
                             read: { z in image.extract(Box3(z: z, y: 0..<image.shape.y, x: 0..<image.shape.x)) },
                             emit: { slab in
                                 labels.insert(slab.labels, at: (slab.z.lowerBound - box.z.lowerBound, 0, 0))
                                 if let p = slab.probabilities {
                                     let n = slab.z.count, z0 = slab.z.lowerBound - box.z.lowerBound
                                     for c in 0..<self.classes {
                                         let src = c * n * plane, dst = (c * box.z.count + z0) * plane
                                         probabilities!.replaceSubrange(dst..<(dst + n * plane), with: p[src..<(src + n * plane)])
                                     }
                                 }
                             }, progress: progress)
        return Segmentation(roi: box, labels: labels, probabilities: probabilities)
    }

    /// A finished slab of slices: labels (z, roi y, roi x) and probabilities (classes, z, roi y, roi x).
    public struct Slab: Sendable {
        /// The slab's slices, in volume coordinates.
        public var z: Range<Int>
        /// One class per voxel of the slab (z, roi y, roi x).
        public var labels: Volume<UInt8>
        /// Averaged class probabilities (classes, z, roi y, roi x), when requested.
        public var probabilities: [Float]?
    }

    /// Segments a volume that is read slice range by slice range (`read(z)` returns whole slices
    /// as float) and hands out final slabs in z order, so neither input nor output needs to fit
    /// in memory. `normalization` must come from the whole volume. With `block` (one of
    /// `blocks(_:volume:roi:options:)`) only those slices are computed and emitted, equal voxel
    /// for voxel to the same slices of a run over the whole region.
    /// - Parameters:
    ///   - volume: the shape of the whole volume.
    ///   - normalization: its intensity statistics.
    ///   - roi: the region to label.
    ///   - options: window, test-time augmentation and precision.
    ///   - wantProbabilities: also hand out probabilities with each slab.
    ///   - cancel: checked between windows.
    ///   - read: returns slices `z` of the volume as float.
    ///   - emit: receives each final slab, in z order.
    ///   - progress: called after every window and when slices become final.
    /// - Throws: `EngineError`, or what `read` and `emit` throw.
    public func segmentStreaming(volume: Shape3, normalization: InputNormalization, roi: Box3, options: InferenceOptions,
                                 block: Range<Int>? = nil, wantProbabilities: Bool, cancel: CancelToken?,
                                 read: (Range<Int>) throws -> Volume<Float>, emit: (Slab) throws -> Void,
                                 progress: ((InferenceProgress) -> Void)?, profile: PhaseProfile? = nil) throws {
        try Architecture.checkWindow(options.window)
        guard Box3(shape: volume).contains(roi), roi.shape.count > 0 else {
            throw EngineError(.badInput, "region of interest \(roi) is outside the volume \(volume)")
        }
        guard InferenceOptions.isValidOverlap(options.overlap) else {
            throw EngineError(.badInput, "overlap \(options.overlap): expected a fraction from 0 up to (not including) 1")
        }
        if let block, block.isEmpty || block.lowerBound < roi.z.lowerBound || block.upperBound > roi.z.upperBound {
            throw EngineError(.badInput, "block \(block) is not inside the region's slices \(roi.z)")
        }
        // Refused before the tiles' buffers or any plan take memory: a window too large would stop the process.
        let window = Self.effectiveWindow(options.window, volume: volume)
        let networkBytes = models.map { $0.architecture.activationBytes(window: window, precision: options.precision) }.max()!
        try WindowMemory.check(networkBytes + TiledInference.bufferBytes(window: window, classes: classes), window: window)
        runLock.lock(); defer { runLock.unlock() }
        let predictors = caches.map { ModelPredictor(cache: $0, precision: options.precision) }
        let tiler = TiledInference(predictors: predictors, volume: volume, roi: roi,
                                   window: window, overlap: options.overlap,
                                   output: block, tta: options.tta, normalization: normalization,
                                   wantProbabilities: wantProbabilities)
        let total = (block?.count ?? roi.z.count) * roi.y.count * roi.x.count
        var finished = 0, reported = 0
        try tiler.run(read: read, emit: { slab in
            try emit(Slab(z: slab.z, labels: slab.labels, probabilities: slab.probabilities))
            finished += slab.labels.shape.count
            reported = max(reported, finished)
            progress?(InferenceProgress(voxelsDone: reported, voxelsTotal: total,
                                        finished: Box3(z: slab.z, y: roi.y, x: roi.x), finishedLabels: slab.labels))
        }, cancel: cancel, progress: { done, windows in
            // Between final slabs, credit voxels by the share of windows done.
            reported = max(reported, finished, total * done / windows)
            progress?(InferenceProgress(voxelsDone: reported, voxelsTotal: total))
        }, profile: profile)
    }

    /// The region's slices cut into `count` z-blocks at window starts (docs/ARCHITECTURE.md,
    /// Cluster): computed apart with `segmentStreaming(block:)`, together they equal one run.
    /// - Throws: `EngineError` (bad input) when the region has fewer z window positions than `count`.
    public static func blocks(_ count: Int, volume: Shape3, roi: Box3, options: InferenceOptions) throws(EngineError) -> [Range<Int>] {
        let grid = TileGrid(volume: volume, roi: roi, window: effectiveWindow(options.window, volume: volume), overlap: options.overlap)
        guard count >= 1 else { throw EngineError(.badInput, "--blocks \(count): expected at least 1") }
        guard let blocks = grid.blocks(count) else {
            throw EngineError(.badInput, "--blocks \(count): the \(roi.z.count) slices give only \(grid.zStarts.count) window position\(grid.zStarts.count == 1 ? "" : "s") in z to cut at")
        }
        return blocks
    }

    /// How many windows a run over the region computes (each by every model, and each flip):
    /// the work, which grows with the overlap.
    public static func windowCount(volume: Shape3, roi: Box3, options: InferenceOptions) -> Int {
        TileGrid(volume: volume, roi: roi, window: effectiveWindow(options.window, volume: volume), overlap: options.overlap).windowCount
    }

    /// The window actually used: no wider in y and x than the volume rounded up to a multiple of
    /// 4 (a 100×100 image is not padded out to 256×256 of mirrored content). Depth is kept, so
    /// thin volumes are reflection-padded to the depth the 3-D layers expect.
    static func effectiveWindow(_ window: Shape3, volume: Shape3) -> Shape3 {
        func fit(_ w: Int, _ n: Int) -> Int { min(w, (n + 3) / 4 * 4) }
        return Shape3(window.z, fit(window.y, volume.y), fit(window.x, volume.x))
    }
}
