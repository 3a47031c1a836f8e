import DenseCellCore
import Foundation

/// How an OME-Zarr store is written (`convert --zarr-version --codec --shard --levels`).
public struct OMEZarrOptions: Sendable {
    /// 2: Zarr v2 with OME-NGFF 0.4; 3: Zarr v3 with OME-NGFF 0.5.
    public var zarrVersion: Int
    public var compression: ZarrCompression
    /// Chunk shape (z, y, x); nil: the study's chunk rule, `StudyWriter.chunks(for:)`.
    public var chunks: Shape3?
    /// Shard shape (z, y, x), a multiple of the chunk shape (v3 only); nil: unsharded.
    public var shard: Shape3?
    /// Resolution levels, full resolution included; nil: halve y and x until the larger side is
    /// at most 128 (`PlanePyramid.levels`).
    public var levels: Int?

    public init(zarrVersion: Int = 2, compression: ZarrCompression = .zstd, chunks: Shape3? = nil, shard: Shape3? = nil, levels: Int? = nil) {
        self.zarrVersion = zarrVersion; self.compression = compression; self.chunks = chunks; self.shard = shard; self.levels = levels
    }
}

/// Writes an OME-Zarr store (OME-NGFF 0.4 on Zarr v2, 0.5 on Zarr v3) of a study, slab by slab:
///
/// - the image as a multiscale at the root (`0/`, `1/`, … halving y and x; mean of each 2×2
///   block), axes z, y, x with `coordinateTransformations` scale from `resolution_nm` in nanometres;
/// - every label source as `labels/NAME`, a multiscale label image (mode of each 2×2 block) with
///   `image-label` colors and names from the schema and the source's `role` as attribute `role`;
///   a source's mask as `masks/NAME`, named by the label image's attribute `mask`;
/// - probabilities as `probabilities/NAME` (classes, z, y, x).
///
/// Everything is written into a hidden scratch directory beside the target; `commit()` renames it
/// into place (an existing store is renamed aside first and deleted once the new one is in), so
/// the target is never half-written. Adding to an existing store (`.addTo`) starts the scratch
/// directory as hard links to the store's files, replaced only where sources are written. A
/// writer dropped without `commit()` deletes its scratch directory. See docs/ARCHITECTURE.md,
/// "Writing OME-Zarr".
public final class OMEZarrWriter {
    /// What to do when the store exists.
    public enum ExistingStore: Sendable {
        /// Replace it with the new store.
        case replace
        /// Keep its image and other sources, adding (or replacing) the sources written; its Zarr
        /// version is kept and its image's shape must be the writer's.
        case addTo
    }

    /// The store written at `commit()`.
    public let path: String
    /// The (z, y, x) shape of the image and every label image.
    public let shape: Shape3
    public let options: OMEZarrOptions
    /// The directory written until `commit()`.
    public let scratchPath: String
    /// Resolution levels of every multiscale.
    public let levels: Int

    private let node: ZarrNodeWriter
    private let chunks: Shape3
    private var rootAttributes: [String: Any]?
    private var labelNames: [String] = []
    private var probabilityNames: [String] = []
    private var finished = false
    private var resolutionNM: [Double]?
    /// Label images and probability sources the store had (`.addTo`), listed again at commit.
    private var existingLabels: [String] = []
    private var existingProbabilities: [String] = []
    /// True when adding to an existing store.
    public let addsToExisting: Bool

    /// Prepares a store of `shape` at `path`; the scratch directory is created now.
    ///
    /// - Throws: `IOError(.badOutput)` when the directory of `path` does not exist, something other
    ///   than a Zarr store is at `path`, or the options do not fit (`--shard` not a multiple of the
    ///   chunks, sharding on Zarr v2, levels out of range).
    public init(path: String, shape: Shape3, options: OMEZarrOptions, existing: ExistingStore = .replace) throws(IOError) {
        self.path = path; self.shape = shape
        var options = options
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard dir.isEmpty || (FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) else {
            throw IOError(.badOutput, file: path, "directory \(dir) does not exist")
        }
        Self.recoverFromKilledWriters(of: path)
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            // Only a store is replaced: a typo must not delete a folder of other things.
            guard isDir.boolValue, ChunkedStore.format(ofDirectory: path) == .zarr,
                  ["zarr.json", ".zgroup", ".zattrs", ".zarray"].contains(where: { FileManager.default.fileExists(atPath: path + "/" + $0) }) else {
                throw IOError(.badOutput, file: path, "exists and is not a Zarr store; not replacing it")
            }
        }
        addsToExisting = existing == .addTo && FileManager.default.fileExists(atPath: path)
        var existingImage: ChunkedStore.Image? = nil
        if addsToExisting {
            options.zarrVersion = FileManager.default.fileExists(atPath: path + "/zarr.json") ? 3 : 2
            // Label images go beside the image; a bioformats2raw layout keeps its image under 0/.
            if let root = try? ChunkedStore.Node(store: DirectoryStore(root: path), prefix: "", format: .zarr),
               root.ome["bioformats2raw.layout"] != nil {
                throw IOError(.badOutput, file: path, "a bioformats2raw layout (the image under 0/): write to a new store, or to 0/ itself")
            }
            existingImage = try ChunkedStore.openStudy(path, format: .zarr).image
            guard existingImage!.source.shape == shape else {
                throw IOError(.badShape, file: path, "the store's image is \(existingImage!.source.shape), not \(shape)")
            }
        }
        self.options = options
        guard options.zarrVersion == 2 || options.zarrVersion == 3 else {
            throw IOError(.badOutput, file: path, "Zarr version \(options.zarrVersion) (2 or 3)")
        }
        if options.shard != nil && options.zarrVersion == 2 {
            throw IOError(.badOutput, file: path, "sharding needs Zarr v3 (--zarr-version 3)")
        }
        let rule = StudyWriter.chunks(for: shape)
        chunks = options.chunks ?? Shape3(rule[0], rule[1], rule[2])
        // Past this many levels the plane is 1×1.
        let maxLevels = 1 + Int(log2(Double(max(shape.y, shape.x))).rounded(.up))
        levels = options.levels ?? 1 + PlanePyramid.levels(height: shape.y, width: shape.x)
        guard (1...maxLevels).contains(levels) else {
            throw IOError(.badOutput, file: path, "\(levels) levels: a \(shape.y)×\(shape.x) plane has 1 to \(maxLevels)")
        }
        if let shard = options.shard {
            // A shard past the array's end is cut to the chunks covering it, so only smaller ones must divide.
            for (axis, s, c, n) in [("z", shard.z, chunks.z, shape.z), ("y", shard.y, chunks.y, shape.y), ("x", shard.x, chunks.x, shape.x)]
            where s % c != 0 && s < Self.roundUp(n, c) {
                throw IOError(.badOutput, file: path, "shard \(shard) is not a multiple of the chunks \(chunks) in \(axis)")
            }
        }
        scratchPath = AtomicFile.temporaryPath(for: path)
        try? FileManager.default.removeItem(atPath: scratchPath)
        guard mkdir(scratchPath, 0o755) == 0 else {
            throw IOError(.writeFailed, file: path, "cannot create \(scratchPath): \(String(cString: strerror(errno)))")
        }
        node = ZarrNodeWriter(root: scratchPath, version: options.zarrVersion, reportedAs: path)
        if let existingImage {
            resolutionNM = existingImage.resolutionNM
            do throws(IOError) { try linkTree(from: path) } catch { discard(); throw error }
            let store = DirectoryStore(root: scratchPath)
            func list(_ prefix: String, _ key: String) -> [String] {
                guard let node = try? ChunkedStore.Node(store: store, prefix: prefix, format: .zarr) else { return [] }
                return node.ome[key] as? [String] ?? node.attributes[key] as? [String] ?? []
            }
            existingLabels = list("labels/", "labels")
            existingProbabilities = list("probabilities/", "probabilities")
        }
    }

    /// Fills the scratch directory with hard links to every file of the store at `source` (copies
    /// where the file system has no hard links): the store's arrays are kept without copying them.
    private func linkTree(from source: String) throws(IOError) {
        guard let walker = FileManager.default.enumerator(atPath: source) else {
            throw IOError(.writeFailed, file: path, "cannot list the store")
        }
        while let item = walker.nextObject() as? String {
            let from = source + "/" + item, to = scratchPath + "/" + item
            var st = stat()
            guard lstat(from, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                if mkdir(to, 0o755) != 0 && errno != EEXIST { throw node.failure(item, "cannot create directory") }
            } else if link(from, to) != 0 {
                do { try FileManager.default.copyItem(atPath: from, toPath: to) } catch {
                    throw IOError(.writeFailed, file: path, dataset: item, "cannot link or copy into the new store")
                }
            }
        }
    }

    /// Removes what the scratch directory holds at `key` (links to the old store's files included).
    private func remove(_ key: String) { try? FileManager.default.removeItem(atPath: scratchPath + "/" + key) }

    deinit { if !finished { discard() } }

    static func roundUp(_ n: Int, _ step: Int) -> Int { (n + step - 1) / step * step }

    /// Tidies what a writer of `path` killed before it finished left beside it: its scratch
    /// directory (and `OMEZarrResults`' scratch study) is removed, and a store it had renamed aside
    /// but not yet replaced is put back. Only entries of processes no longer running are touched.
    static func recoverFromKilledWriters(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent, base = (path as NSString).lastPathComponent
        let prefix = dir.isEmpty ? "" : dir + "/"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir) else { return }
        for name in names {
            for (marker, isOld) in [(".\(base).partial-", false), (".\(base).old-", true)] where name.hasPrefix(marker) {
                let digits = name.dropFirst(marker.count).prefix { $0.isNumber }
                guard let pid = Int32(digits), pid != getpid(), kill(pid, 0) != 0 && errno == ESRCH else { continue }
                if isOld && !FileManager.default.fileExists(atPath: path) && name.count == marker.count + digits.count {
                    rename(prefix + name, path)
                } else {
                    try? FileManager.default.removeItem(atPath: prefix + name)
                }
            }
        }
    }

    /// The OME-NGFF version written.
    var ngffVersion: String { options.zarrVersion == 2 ? "0.4" : "0.5" }

    /// The shape of pyramid level `level`.
    func levelShape(_ level: Int) -> Shape3 {
        let (h, w) = PlanePyramid.size(height: shape.y, width: shape.x, level: level)
        return Shape3(shape.z, h, w)
    }

    /// Chunks and shard of a (z, y, x) array of `extent`: the chunks cut to the extent, the shard
    /// cut to the chunks that cover it.
    func layout(_ extent: Shape3) -> (chunks: [Int], shard: [Int]?) {
        let c = [min(chunks.z, extent.z), min(chunks.y, extent.y), min(chunks.x, extent.x)]
        let e = [extent.z, extent.y, extent.x]
        guard let s = options.shard else { return (c, nil) }
        let shard = [s.z, s.y, s.x].indices.map { a in min([s.z, s.y, s.x][a], Self.roundUp(e[a], c[a])) }
        return (c, shard)
    }

    /// Slices per step of a pass: a multiple of what one stored chunk (shard) holds in z.
    var zGrain: Int { layout(shape).shard?[0] ?? layout(shape).chunks[0] }

    // MARK: Multiscales

    /// The arrays of one multiscale image under `prefix` (`""` or `labels/NAME/`).
    private func multiscaleArrays(_ prefix: String, type: ScalarType) throws(IOError) -> [ZarrArrayWriter] {
        try (0..<levels).map { (level: Int) throws(IOError) -> ZarrArrayWriter in
            let extent = levelShape(level)
            let (c, s) = layout(extent)
            return try ZarrArrayWriter(node: node, prefix: prefix + "\(level)/", shape: [extent.z, extent.y, extent.x], chunks: c, shard: s,
                                       type: type, compression: options.compression, dimensionNames: ["z", "y", "x"])
        }
    }

    /// The `multiscales` entry of an image or label image.
    private func multiscales(name: String, method: String) -> [[String: Any]] {
        let unit = resolutionNM != nil
        let r = resolutionNM ?? [1, 1, 1]
        var m: [String: Any] = [
            "name": name,
            "axes": ["z", "y", "x"].map { axis -> [String: Any] in
                unit ? ["name": axis, "type": "space", "unit": "nanometer"] : ["name": axis, "type": "space"]
            },
            "datasets": (0..<levels).map { level -> [String: Any] in
                let f = Double(1 << level)
                return ["path": "\(level)", "coordinateTransformations": [["type": "scale", "scale": [r[0], r[1] * f, r[2] * f]]]]
            },
            "type": method,
        ]
        if options.zarrVersion == 2 { m["version"] = "0.4" }
        return [m]
    }

    /// A node's attributes: OME-NGFF's under `ome` (0.5) or at the top (0.4), then the others.
    private func attributes(ome: [String: Any], other: [String: Any] = [:]) -> [String: Any] {
        var result = other
        if options.zarrVersion == 3 {
            result["ome"] = ome.merging(["version": "0.5"]) { a, _ in a }
        } else {
            result.merge(ome) { a, _ in a }
        }
        return result
    }

    /// Writes z-slab `z` of every level from the full-resolution planes; levels above 0 are made
    /// plane by plane in parallel by `halve` and stored through `store`.
    private func writeLevels<T>(_ arrays: [ZarrArrayWriter], z: Range<Int>, planes: [T], halve: ([T], Int, Int) -> [T],
                                store: (ZarrArrayWriter, [Int], [T]) throws(IOError) -> Void) throws(IOError) {
        var current = planes
        var h = shape.y, w = shape.x
        for level in 1..<max(1, arrays.count) {
            let (oh, ow) = PlanePyramid.size(height: h, width: w, level: 1)
            let previous = current, ph = h, pw = w
            var next = [[T]](repeating: [], count: z.count)
            next.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                Parallel.forEach(z.count) { k in
                    (base + k).pointee = halve(Array(previous[(k * ph * pw)..<((k + 1) * ph * pw)]), ph, pw)
                }
            }
            current = next.flatMap { $0 }
            h = oh; w = ow
            try store(arrays[level], [z.count, oh, ow], current)
        }
    }

    // MARK: Image

    /// Copies an opened image slab by slab as the store's multiscale image, in its read type
    /// (uint8, uint16, int32, int64, float32, float64), with `resolution_nm` as the scale.
    ///
    /// - Parameter progress: slices done and the total.
    /// - Throws: `IOError(.badShape)` when the image's shape is not the store's; `IOError` from reading or writing.
    public func copyImage(from source: VolumeSource, resolutionNM: [Double]?, progress: (Int, Int) -> Void = { _, _ in }) throws(IOError) {
        precondition(!finished, "OMEZarrWriter used after commit() or discard()")
        precondition(!addsToExisting, "a store added to keeps its image")
        guard source.shape == shape else {
            throw IOError(.badShape, file: source.reference.path, dataset: source.reference.dataset, "image shape \(source.shape) is not the store's \(shape)")
        }
        self.resolutionNM = resolutionNM?.count == 3 ? resolutionNM : nil
        // The stored type decides: reads narrow wide types box by box when the values fit.
        let type: ScalarType = switch source.typeName {
        case "uint8", "bool": .uint8
        case "uint16": .uint16
        case "int8", "int16", "int32": .int32
        case "uint32", "int64", "uint64": .int64
        case "float64": .float64
        default: .float32
        }
        let arrays = try multiscaleArrays("", type: type)
        let pass = try SlabPass([(source, .stored)], extraBytesPerVoxel: levels > 1 ? 6 : 0, grain: zGrain)
        try pass.run(progress: progress) { slab throws(IOError) in
            let v = slab.stored(source), z = slab.z
            let origin = [z.lowerBound, 0, 0], extent = [z.count, shape.y, shape.x]
            // Coarser levels are means in float, stored back in the image's type (rounded, clamped).
            func levelsFrom<T>(_ values: [T], _ convert: @escaping (Float) -> T) throws(IOError) {
                try arrays[0].write(origin: origin, extent: extent, values)
                guard levels > 1 else { return }
                try writeLevels(arrays, z: z, planes: v.asFloat().data, halve: PlanePyramid.halveMean) { array, e, planes throws(IOError) in
                    try array.write(origin: origin, extent: e, planes.map(convert))
                }
            }
            switch (type, v) {
            case (.uint8, .uint8(let x)): try levelsFrom(x.data) { UInt8(clamping: Int($0.rounded())) }
            case (.uint16, .uint16(let x)): try levelsFrom(x.data) { UInt16(clamping: Int($0.rounded())) }
            case (.int32, .int32(let x)): try levelsFrom(x.data) { Int32(clamping: Int64(Double($0).rounded())) }
            case (.int64, .int64(let x)): try levelsFrom(x.data, Self.int64)
            case (.int64, .int32(let x)): try levelsFrom(x.data.map(Int64.init), Self.int64)
            case (.float64, .float64(let x)): try levelsFrom(x.data) { Double($0) }
            case (.float64, .float32(let x)): try levelsFrom(x.data.map(Double.init)) { Double($0) }
            default:
                precondition(type == .float32, "a \(v.typeName) slab of a \(type) image")
                try levelsFrom(v.asFloat().data) { $0 }
            }
        }
        rootAttributes = attributes(ome: ["multiscales": multiscales(name: "image", method: "mean")])
    }

    /// A coarse level's mean as int64, clamped.
    private static func int64(_ v: Float) -> Int64 { Double(v) >= 9.2e18 ? .max : Double(v) <= -9.2e18 ? .min : Int64(Double(v).rounded()) }

    // MARK: Labels

    /// Copies a label source slab by slab as `labels/NAME` (uint8 classes checked against the
    /// schema), a multiscale label image with the schema's colors and names and the source's role;
    /// its mask, if any, as `masks/NAME`.
    ///
    /// - Throws: `IOError(.badShape)` when its shape is not the store's; `IOError` from reading or writing.
    public func copyLabels(_ source: StudyLabels, schema: LabelSchema, progress: (Int, Int) -> Void = { _, _ in }) throws(IOError) {
        precondition(!finished, "OMEZarrWriter used after commit() or discard()")
        guard source.labels.shape == shape else {
            throw IOError(.badShape, file: source.labels.reference.path, dataset: source.labels.reference.dataset,
                          "labels \(source.name) have shape \(source.labels.shape) but the image is \(shape)")
        }
        let prefix = "labels/\(source.name)/"
        remove(prefix); remove("masks/\(source.name)")
        let arrays = try multiscaleArrays(prefix, type: .uint8)
        var inputs: [(source: VolumeSource, reading: SlabPass.Reading)] = [(source.labels, .labels)]
        var maskArray: ZarrArrayWriter? = nil
        if let mask = source.mask {
            inputs.append((mask, .mask))
            let (c, s) = layout(shape)
            maskArray = try ZarrArrayWriter(node: node, prefix: "masks/\(source.name)/", shape: [shape.z, shape.y, shape.x], chunks: c, shard: s,
                                            type: .uint8, compression: options.compression, dimensionNames: ["z", "y", "x"])
        }
        let pass = try SlabPass(inputs, mapping: schema.mapping, extraBytesPerVoxel: levels > 1 ? 1 : 0, grain: zGrain)
        try pass.run(progress: progress) { slab throws(IOError) in
            let labels = slab.labels(source.labels), z = slab.z
            let origin = [z.lowerBound, 0, 0]
            try arrays[0].write(origin: origin, extent: [z.count, shape.y, shape.x], labels.data)
            try writeLevels(arrays, z: z, planes: labels.data, halve: PlanePyramid.halveMode) { array, e, planes throws(IOError) in
                try array.write(origin: origin, extent: e, planes)
            }
            if let mask = source.mask, let maskArray {
                try maskArray.write(origin: origin, extent: [z.count, shape.y, shape.x], slab.mask(mask).data)
            }
        }
        var label: [String: Any] = [
            "colors": schema.classes.enumerated().compactMap { i, c -> [String: Any]? in
                c.color.map { ["label-value": i, "rgba": [Int($0.r), Int($0.g), Int($0.b), 255]] }
            },
            "properties": schema.classes.enumerated().map { i, c -> [String: Any] in ["label-value": i, "name": c.name] },
            "source": ["image": "../../"],
        ]
        if options.zarrVersion == 2 { label["version"] = "0.4" }
        // Like the labels StudyWriter writes: class indices, whatever values a schema lists.
        var other: [String: Any] = [StudyFile.roleAttribute: source.role.rawValue,
                                    StudyFile.labelValuesAttribute.name: StudyFile.labelValuesAttribute.classIndices]
        if source.mask != nil { other[StudyFile.maskAttribute] = "masks/\(source.name)" }
        try node.group(prefix, attributes: attributes(ome: ["multiscales": multiscales(name: source.name, method: "mode"), "image-label": label],
                                                      other: other))
        labelNames.append(source.name)
    }

    /// Copies a mask that belongs to no label source (e.g. consensus's undecided voxels) as
    /// `masks/NAME`, 0/1 uint8.
    ///
    /// - Throws: `IOError(.badShape)` when its shape is not the store's; `IOError` from reading or writing.
    public func copyMask(_ name: String, from source: VolumeSource) throws(IOError) {
        precondition(!finished, "OMEZarrWriter used after commit() or discard()")
        guard source.shape == shape else {
            throw IOError(.badShape, file: source.reference.path, dataset: source.reference.dataset, "mask shape \(source.shape) is not the store's \(shape)")
        }
        remove("masks/\(name)")
        let (c, s) = layout(shape)
        let array = try ZarrArrayWriter(node: node, prefix: "masks/\(name)/", shape: [shape.z, shape.y, shape.x], chunks: c, shard: s,
                                        type: .uint8, compression: options.compression, dimensionNames: ["z", "y", "x"])
        try SlabPass([(source, .mask)], grain: zGrain).run { slab throws(IOError) in
            try array.write(origin: [slab.z.lowerBound, 0, 0], extent: [slab.z.count, shape.y, shape.x], slab.mask(source).data)
        }
    }

    // MARK: Probabilities

    /// Copies a probability source as `probabilities/NAME`: (classes, z, y, x), float16 when the
    /// source is (as `segment` writes it), else float32; attribute `classes` names the channels.
    ///
    /// - Throws: `IOError` from reading or writing.
    public func copyProbabilities(_ p: StudyProbabilities, schema: LabelSchema, progress: (Int, Int) -> Void = { _, _ in }) throws(IOError) {
        precondition(!finished, "OMEZarrWriter used after commit() or discard()")
        let half = p.dataset.info.typeName == "float16"
        remove("probabilities/\(p.name)")
        let (c, s) = layout(shape)
        var attributes: [String: Any] = [:]
        if p.classes == schema.count { attributes["classes"] = schema.names }
        let array = try ZarrArrayWriter(node: node, prefix: "probabilities/\(p.name)/", shape: [p.classes, shape.z, shape.y, shape.x],
                                        chunks: [1] + c, shard: s.map { [1] + $0 }, type: half ? .float16 : .float32,
                                        compression: options.compression, dimensionNames: ["c", "z", "y", "x"], attributes: attributes)
        let grain = zGrain
        let depth = max(grain, ReadBudget.slabDepth(bytesPerPlane: shape.planeCount * 8) / grain * grain)
        for z in stride(from: 0, to: shape.z, by: depth) {
            let range = z..<min(shape.z, z + depth)
            for channel in 0..<p.classes {
                let values = try p.channel(channel, z: range).data
                let origin = [channel, range.lowerBound, 0, 0], extent = [1, range.count, shape.y, shape.x]
                if half { try array.write(origin: origin, extent: extent, values.map { Float16($0) }) }
                else { try array.write(origin: origin, extent: extent, values) }
            }
            progress(range.upperBound, shape.z)
        }
        probabilityNames.append(p.name)
    }

    // MARK: Commit

    /// Writes the groups' metadata and puts the store in place: renamed from the scratch
    /// directory, an existing store renamed aside first and deleted after.
    ///
    /// - Throws: `IOError(.writeFailed)` when it cannot be put in place (the old store is restored
    ///   and the scratch directory removed).
    public func commit() throws(IOError) {
        precondition(!finished, "OMEZarrWriter committed twice")
        precondition(rootAttributes != nil || addsToExisting, "an OME-Zarr store needs its image: copyImage before commit")
        do throws(IOError) {
            if let rootAttributes { try node.group("", attributes: rootAttributes) }
            let labels = existingLabels + labelNames.filter { !existingLabels.contains($0) }
            let probabilities = existingProbabilities + probabilityNames.filter { !existingProbabilities.contains($0) }
            if !labelNames.isEmpty { try node.group("labels/", attributes: attributes(ome: ["labels": labels])) }
            if !probabilityNames.isEmpty { try node.group("probabilities/", attributes: ["probabilities": probabilities]) }
            if FileManager.default.fileExists(atPath: path) {
                let dir = (path as NSString).deletingLastPathComponent
                let old = (dir.isEmpty ? "" : dir + "/") + ".\((path as NSString).lastPathComponent).old-\(getpid())"
                try? FileManager.default.removeItem(atPath: old)
                guard rename(path, old) == 0 else {
                    throw IOError(.writeFailed, file: path, "cannot move the old store aside: \(String(cString: strerror(errno)))")
                }
                guard rename(scratchPath, path) == 0 else {
                    let reason = String(cString: strerror(errno))
                    rename(old, path)
                    throw IOError(.writeFailed, file: path, "cannot move the finished store into place: \(reason)")
                }
                try? FileManager.default.removeItem(atPath: old)
            } else {
                guard rename(scratchPath, path) == 0 else {
                    throw IOError(.writeFailed, file: path, "cannot move the finished store into place: \(String(cString: strerror(errno)))")
                }
            }
            finished = true
        } catch {
            discard()
            throw error
        }
    }

    /// Abandons the store: removes the scratch directory. `path` is untouched.
    public func discard() {
        finished = true
        try? FileManager.default.removeItem(atPath: scratchPath)
    }
}
