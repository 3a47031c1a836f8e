import DenseCellCore
import Foundation

/// Where a study is copied to: an HDF5 study (`StudyWriter`) or an OME-Zarr store
/// (`OMEZarrWriter`). Each part is copied slab by slab; nothing reaches `path` before `commit()`,
/// and a destination dropped without it leaves no trace (see docs/ARCHITECTURE.md, "Writing OME-Zarr").
public protocol StudyDestination: AnyObject {
    /// The study file or store written at `commit()`.
    var path: String { get }
    /// Copies the image, recording its voxel size.
    func copyImage(from source: VolumeSource, resolutionNM: [Double]?, progress: (Int, Int) -> Void) throws(IOError)
    /// Copies a label source (classes checked against `schema`) with its role and mask.
    func copyLabels(_ source: StudyLabels, schema: LabelSchema, progress: (Int, Int) -> Void) throws(IOError)
    /// Copies a probability source, (classes, z, y, x).
    func copyProbabilities(_ source: StudyProbabilities, schema: LabelSchema, progress: (Int, Int) -> Void) throws(IOError)
    /// Puts the result in place.
    func commit() throws(IOError)
    /// Abandons the result; `path` is untouched.
    func discard()
}

extension OMEZarrWriter: StudyDestination {}

extension StudyWriter: StudyDestination {
    public func copyImage(from source: VolumeSource, resolutionNM: [Double]?, progress: (Int, Int) -> Void) throws(IOError) {
        try copyImage(from: source, resolutionNM: resolutionNM, observe: nil, progress: progress)
    }

    public func copyLabels(_ source: StudyLabels, schema: LabelSchema, progress: (Int, Int) -> Void) throws(IOError) {
        try createLabels(source.name, role: source.role)
        var inputs: [(source: VolumeSource, reading: SlabPass.Reading)] = [(source.labels, .labels)]
        if let mask = source.mask {
            inputs.append((mask, .mask))
            try createMask(source.name)
            try setAttribute(StudyFile.labelsDataset(source.name), StudyFile.maskAttribute, .string("/masks/" + source.name))
        }
        try SlabPass(inputs, mapping: schema.mapping).run(progress: progress) { slab throws(IOError) in
            let box = source.labels.slab(slab.z)
            try writeLabels(source.name, box: box, slab.labels(source.labels).data)
            if let mask = source.mask { try writeMask(source.name, box: box, slab.mask(mask).data) }
        }
    }

    public func copyProbabilities(_ source: StudyProbabilities, schema: LabelSchema, progress: (Int, Int) -> Void) throws(IOError) {
        let half = source.dataset.info.typeName == "float16"
        try createProbabilities(source.name, classes: source.classes, storage: half ? .float16 : .float32)
        let depth = ReadBudget.slabDepth(bytesPerPlane: shape.planeCount * source.classes * 4)
        for z in stride(from: 0, to: shape.z, by: depth) {
            let range = z..<min(shape.z, z + depth)
            var values: [Float] = []
            for channel in 0..<source.classes { values += try source.channel(channel, z: range).data }
            try writeProbabilities(source.name, box: Box3(z: range, y: 0..<shape.y, x: 0..<shape.x), classes: source.classes, values)
            progress(range.upperBound, shape.z)
        }
    }
}

/// `densecell convert`: a study (or a single volume as a study's image) copied into an HDF5 study
/// or an OME-Zarr store.
public enum StudyConversion {
    /// Whether `path` names an OME-Zarr store (`.zarr`, `.ome.zarr`) rather than an HDF5 study.
    public static func isZarr(_ path: String) -> Bool {
        var p = path
        while p.hasSuffix("/") && p.count > 1 { p.removeLast() }
        return p.lowercased().hasSuffix(".zarr")
    }

    /// The destination `path` names: an OME-Zarr store for `.zarr` (written with `options`), else
    /// an HDF5 study (replaced at commit when it exists).
    ///
    /// - Throws: `IOError(.badOutput)` when its directory is missing or the options do not fit.
    public static func destination(_ path: String, shape: Shape3, options: OMEZarrOptions) throws(IOError) -> StudyDestination {
        var p = path
        while p.hasSuffix("/") && p.count > 1 { p.removeLast() }
        if isZarr(p) { return try OMEZarrWriter(path: p, shape: shape, options: options) }
        return try StudyWriter(path: p, shape: shape, existing: .replace)
    }

    /// Copies the image, every label source and every probability source of `study` into
    /// `destination`, then commits it; on failure the destination is discarded.
    ///
    /// - Parameter progress: the part being copied (`image`, `labels truth`, …), slices done and the total.
    /// - Throws: `IOError` from reading or writing.
    public static func convert(_ study: OpenedStudy, into destination: StudyDestination,
                               progress: (String, Int, Int) -> Void = { _, _, _ in }) throws(IOError) {
        guard let image = study.image else { preconditionFailure("convert needs a study opened with its image") }
        do throws(IOError) {
            try destination.copyImage(from: image, resolutionNM: study.resolutionNM) { progress("image", $0, $1) }
            for source in study.labels {
                try destination.copyLabels(source, schema: study.schema) { progress("labels \(source.name)", $0, $1) }
            }
            for name in study.probabilityNames {
                let p = try study.probabilities(name)
                try destination.copyProbabilities(p, schema: study.schema) { progress("probabilities \(name)", $0, $1) }
            }
            try destination.commit()
        } catch {
            destination.discard()
            throw error
        }
    }
}

/// Results a command computes through `StudyWriter` (label sources with their masks, other masks,
/// probabilities) put into an OME-Zarr store: the command's writer adds to an empty hidden HDF5
/// study beside the store (`scratchStudy`), and `commit` copies what it holds into the store — a
/// new store gets the image too; an existing one keeps its image and other sources. Nothing
/// reaches the store before `commit`, and the scratch study is removed either way.
public final class OMEZarrResults {
    /// The OME-Zarr store written at `commit`.
    public let store: String
    /// The empty HDF5 study the command's `StudyWriter` adds its results to (`existing: .addTo`).
    public let scratchStudy: String
    private var finished = false

    /// - Parameter shape: the results' shape: an existing store's image must have it — checked
    ///   now, before any work, not at the commit.
    /// - Throws: `IOError(.badOutput)` when the store's directory does not exist or the path is
    ///   something other than a Zarr store, `.badShape` when an existing store's image is of
    ///   another shape, `.writeFailed` when the scratch study cannot be created.
    public init(store: String, shape: Shape3) throws(IOError) {
        var p = store
        while p.hasSuffix("/") && p.count > 1 { p.removeLast() }
        self.store = p
        let dir = (p as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard dir.isEmpty || (FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) else {
            throw IOError(.badOutput, file: p, "directory \(dir) does not exist")
        }
        if FileManager.default.fileExists(atPath: p) {
            guard ChunkedStore.format(ofDirectory: p) == .zarr else {
                throw IOError(.badOutput, file: p, "exists and is not a Zarr store; not replacing it")
            }
            let existing = try ChunkedStore.openStudy(p, format: .zarr).image.source.shape
            guard existing == shape else { throw IOError(.badShape, file: p, "the store's image is \(existing), not \(shape)") }
        }
        scratchStudy = AtomicFile.temporaryPath(for: p) + ".h5"
        _ = try HDF5File(path: scratchStudy, mode: .truncate, reportedAs: p)
    }

    deinit { discard() }

    /// Whether the store exists already (then `commit` needs no image).
    public var storeExists: Bool { FileManager.default.fileExists(atPath: store) }

    /// Copies the results into the store and puts it in place.
    ///
    /// - Parameters:
    ///   - image: the image and its voxel size, for a new store (ignored when the store exists).
    ///   - schema: the classes (labels are checked against it; their colors and names are recorded).
    /// - Throws: `IOError(.badOutput)` for a new store without an image, `IOError` from reading or writing.
    public func commit(image: (source: VolumeSource, resolutionNM: [Double]?)?, schema: LabelSchema, options: OMEZarrOptions = OMEZarrOptions(),
                       progress: (String, Int, Int) -> Void = { _, _, _ in }) throws(IOError) {
        defer { discard() }
        let results = try OpenedStudy.open(study: scratchStudy, schema: schema, needsImage: false)
        let writer = try OMEZarrWriter(path: store, shape: results.shape, options: options, existing: .addTo)
        if !writer.addsToExisting {
            guard let image else { throw IOError(.badOutput, file: store, "a new OME-Zarr store needs the study's image") }
            try writer.copyImage(from: image.source, resolutionNM: image.resolutionNM) { progress("image", $0, $1) }
        }
        for source in results.labels {
            try writer.copyLabels(source, schema: schema) { progress("labels \(source.name)", $0, $1) }
        }
        let file = try HDF5File(path: scratchStudy, reportedAs: store)
        let attached = Set(results.labels.compactMap { $0.mask?.reference.dataset })
        for dataset in file.datasetNames() where dataset.hasPrefix("/masks/") && !attached.contains(dataset) {
            try writer.copyMask(String(dataset.dropFirst("/masks/".count)), from: try VolumeReader.open(file, dataset))
        }
        for name in results.probabilityNames {
            try writer.copyProbabilities(try results.probabilities(name), schema: schema) { progress("probabilities \(name)", $0, $1) }
        }
        try writer.commit()
    }

    /// Removes the scratch study.
    public func discard() {
        guard !finished else { return }
        finished = true
        unlink(scratchStudy)
    }
}
