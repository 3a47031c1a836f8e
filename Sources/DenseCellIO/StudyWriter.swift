import DenseCellCore
import Foundation

/// The one writer of the study file layout (see docs/ARCHITECTURE.md, "Study file layout"):
///
/// - `/image`: uint8 when the image is whole numbers in 0…255, else float32; attribute
///   `resolution_nm` = [z, y, x] when known.
/// - `/labels/NAME`: uint8 class labels, attribute `role` (`truth`, `annotator`, `algorithm`) and,
///   when only part of the volume is labeled, `mask` naming `/masks/NAME`.
/// - `/masks/NAME`: uint8, nonzero where `/labels/NAME` is labeled.
/// - `/probabilities/NAME`: (classes, z, y, x), float16 (default) or float32.
///
/// Every dataset covers the study's one (z, y, x) shape, chunked by `chunks(for:)` (one class per
/// chunk for probabilities) and compressed with shuffle + gzip level 1.
///
/// Nothing reaches `path` before `commit()`: everything is written to a scratch file beside it.
/// `commit()` renames the scratch file into place (a new study, or `.replace`), or adds its
/// datasets to the existing study in one short open–write–close (`.addTo`), after all computing
/// is done. A writer dropped or `discard()`ed without `commit()` removes its scratch file, so a
/// failed run leaves no file behind and an existing study unchanged.
///
/// ```swift
/// let writer = try StudyWriter(path: "out.h5", shape: image.shape, existing: .addTo)
/// try writer.createLabels("ensemble", role: .algorithm)
/// for (box, labels) in slabs { try writer.writeLabels("ensemble", box: box, labels) }
/// try writer.commit()
/// ```
public final class StudyWriter {
    /// What to do when `path` already exists.
    public enum ExistingFile: Sendable {
        /// Replace it with the new study (atomically, at `commit()`).
        case replace
        /// Add the written datasets to it at `commit()`; its `/image`, if any, must have the same shape.
        case addTo
    }

    /// The study file written at `commit()`.
    public let path: String
    /// The (z, y, x) shape every dataset covers.
    public let shape: Shape3
    /// True when `commit()` adds to an existing study rather than creating one.
    public let addsToExisting: Bool
    /// The scratch file written until `commit()`; remove it if the process is interrupted.
    public let scratchPath: String

    private var scratch: HDF5File?
    private var labelNames: [String] = []
    private var finished = false

    /// Prepares to write a study of `shape` to `path`. Nothing is created yet.
    ///
    /// - Parameters:
    ///   - path: The study file.
    ///   - shape: The (z, y, x) shape of the image and every label volume.
    ///   - existing: What `commit()` does when `path` exists.
    /// - Throws: `IOError(.badOutput)` when the directory of `path` does not exist; with
    ///   `.addTo`, `IOError` when the existing file is not HDF5 (`.corrupt`) or its `/image`
    ///   has another shape (`.badShape`).
    public init(path: String, shape: Shape3, existing: ExistingFile) throws(IOError) {
        self.path = path
        self.shape = shape
        scratchPath = AtomicFile.temporaryPath(for: path)
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        guard dir.isEmpty || (FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) else {
            throw IOError(.badOutput, file: path, "directory \(dir) does not exist")
        }
        addsToExisting = existing == .addTo && FileManager.default.fileExists(atPath: path)
        if addsToExisting {
            let file = try HDF5File(path: path)
            if file.isDataset("/image") {
                let info = try file.info("/image")
                if let s = VolumeReader.volumeShape(dims: info.dims), s != shape {
                    throw IOError(.badShape, file: path, dataset: "/image", "shape \(s) does not match the input image \(shape)")
                }
            }
        }
    }

    deinit { if !finished { discard() } }

    /// The chunk shape of every study volume: up to 4 slices of up to 256×256.
    public static func chunks(for shape: Shape3) -> [Int] { [min(shape.z, 4), min(shape.y, 256), min(shape.x, 256)] }

    private var dims: [Int] { [shape.z, shape.y, shape.x] }
    /// The stored type of an `/image` made by `createImage`.
    private var imageType: ScalarType?

    private func file() throws(IOError) -> HDF5File {
        precondition(!finished, "StudyWriter used after commit() or discard()")
        if let scratch { return scratch }
        let f = try HDF5File(path: scratchPath, mode: .truncate, reportedAs: path)
        scratch = f
        return f
    }

    private func check(_ box: Box3, _ count: Int, per voxel: Int = 1, dataset: String) throws(IOError) {
        guard Box3(shape: shape).contains(box), box.shape.count * voxel == count else {
            throw IOError(.badShape, file: path, dataset: dataset,
                          "\(count) values for the region \(box) of a \(shape) study")
        }
    }

    // MARK: Image

    /// Writes the whole image as `/image` (uint8 when every value is a whole number in 0…255).
    ///
    /// - Throws: `IOError(.badShape)` when the image's shape is not the study's, `.writeFailed` from HDF5.
    public func writeImage(_ image: Volume<Float>, resolutionNM: [Double]?) throws(IOError) {
        guard image.shape == shape else {
            throw IOError(.badShape, file: path, dataset: "/image", "image shape \(image.shape) is not the study's \(shape)")
        }
        let f = try file()
        let isByte = image.data.allSatisfy { $0 >= 0 && $0 <= 255 && $0 == $0.rounded() }
        if isByte {
            try f.writeArray("/image", dims: dims, data: image.data.map { UInt8($0) }, memoryType: .uint8,
                             chunks: Self.chunks(for: shape), gzip: 1)
        } else {
            try f.writeArray("/image", dims: dims, data: image.data, memoryType: .float32,
                             chunks: Self.chunks(for: shape), gzip: 1)
        }
        if let resolutionNM { try f.setAttribute("/image", "resolution_nm", .doubles(resolutionNM)) }
    }

    /// Creates an all-zero `/image` to be filled slab by slab with `writeImage(box:_:)`.
    ///
    /// - Parameters:
    ///   - storedType: `.uint8` (values must be whole numbers in 0…255) or `.float32`.
    ///   - resolutionNM: the voxel size (z, y, x), when known.
    /// - Throws: `IOError` from HDF5.
    public func createImage(storedType: ScalarType, resolutionNM: [Double]?) throws(IOError) {
        precondition(storedType == .uint8 || storedType == .float32, "a study image is stored as uint8 or float32")
        let f = try file()
        try f.createDataset("/image", dims: dims, fileType: storedType, chunks: Self.chunks(for: shape))
        if let resolutionNM { try f.setAttribute("/image", "resolution_nm", .doubles(resolutionNM)) }
        imageType = storedType
    }

    /// Writes image values of `box` (z, y, x order) into the `/image` made by `createImage`,
    /// converted to its stored type.
    ///
    /// - Throws: `IOError(.badShape)` when the box is outside the volume or `values` has the wrong size.
    public func writeImage(box: Box3, _ values: [Float]) throws(IOError) {
        guard let imageType else { preconditionFailure("writeImage(box:_:) before createImage") }
        try check(box, values.count, dataset: "/image")
        let start = [box.z.lowerBound, box.y.lowerBound, box.x.lowerBound], count = [box.z.count, box.y.count, box.x.count]
        if imageType == .uint8 {
            try file().writeSlab("/image", start: start, count: count, data: values.map { UInt8(clamping: Int($0.rounded())) },
                                 memoryType: .uint8)
        } else {
            try file().writeSlab("/image", start: start, count: count, data: values, memoryType: .float32)
        }
    }

    /// Copies an opened image slab by slab as `/image` (uint8 stays uint8, anything else is
    /// float32), with its `resolution_nm`.
    ///
    /// - Parameters:
    ///   - source: the image, read as float (NaN and infinity refused).
    ///   - resolutionNM: the voxel size to record, if known.
    ///   - observe: also given every slab read, in z order (e.g. to gather statistics in the same
    ///     pass over the image).
    ///   - progress: slices copied and the total.
    /// - Throws: `IOError(.badShape)` when the image's shape is not the study's, `IOError` from reading or writing.
    public func copyImage(from source: VolumeSource, resolutionNM: [Double]?, observe: ((Volume<Float>) -> Void)? = nil,
                          progress: (Int, Int) -> Void = { _, _ in }) throws(IOError) {
        guard source.shape == shape else {
            throw IOError(.badShape, file: source.reference.path, dataset: source.reference.dataset,
                          "image shape \(source.shape) is not the study's \(shape)")
        }
        let f = try file()
        let storedType: ScalarType = source.typeName == "uint8" ? .uint8 : .float32
        try f.createDataset("/image", dims: dims, fileType: storedType, chunks: Self.chunks(for: shape))
        try SlabPass([(source, .image)], extraBytesPerVoxel: storedType.byteSize).run(progress: progress) { slab throws(IOError) in
            let v = slab.image(source)
            observe?(v)
            let start = [slab.z.lowerBound, 0, 0], count = [slab.z.count, shape.y, shape.x]
            if storedType == .uint8 {
                try f.writeSlab("/image", start: start, count: count,
                                data: v.data.map { UInt8(clamping: Int($0.rounded())) }, memoryType: .uint8)
            } else {
                try f.writeSlab("/image", start: start, count: count, data: v.data, memoryType: .float32)
            }
        }
        if let r = resolutionNM { try f.setAttribute("/image", "resolution_nm", .doubles(r)) }
    }

    // MARK: Labels

    /// Writes a whole label source: `/labels/NAME` with its `role`, and its mask as `/masks/NAME`.
    ///
    /// - Throws: `IOError(.badShape)` when the labels or mask do not have the study's shape.
    public func writeLabels(_ source: LabelSource) throws(IOError) {
        let dataset = "/labels/" + source.name
        guard source.labels.shape == shape, source.mask.map({ $0.shape == shape }) ?? true else {
            throw IOError(.badShape, file: path, dataset: dataset, "labels shape \(source.labels.shape) is not the study's \(shape)")
        }
        let f = try file()
        try f.writeArray(dataset, dims: dims, data: source.labels.data, memoryType: .uint8,
                         chunks: Self.chunks(for: shape), gzip: 1)
        try f.setAttribute(dataset, StudyFile.roleAttribute, .string(source.role.rawValue))
        try markClassIndices(f, dataset)
        if let mask = source.mask {
            let maskName = "/masks/" + source.name
            try f.writeArray(maskName, dims: dims, data: mask.data, memoryType: .uint8, chunks: Self.chunks(for: shape), gzip: 1)
            try f.setAttribute(dataset, StudyFile.maskAttribute, .string(maskName))
        }
        labelNames.append(source.name)
    }

    /// Labels written here are classes: marked so that a schema listing stored values reads them as they are.
    private func markClassIndices(_ f: HDF5File, _ dataset: String) throws(IOError) {
        try f.setAttribute(dataset, StudyFile.labelValuesAttribute.name, .string(StudyFile.labelValuesAttribute.classIndices))
    }

    /// Creates an all-zero `/labels/NAME` to be filled with `writeLabels(_:box:_:)`.
    ///
    /// - Parameters:
    ///   - name: The label source's name (no `/`).
    ///   - role: Its `role` attribute.
    ///   - region: The part of the volume that will be labeled. When it is not the whole volume,
    ///     `/masks/NAME` marks it, the labels' `mask` attribute names it and their `roi` attribute
    ///     records it as [z0, z1, y0, y1, x0, x1].
    /// - Throws: `IOError` from HDF5, or `.badShape` for a region outside the volume.
    public func createLabels(_ name: String, role: SourceRole, region: Box3? = nil) throws(IOError) {
        let dataset = "/labels/" + name
        let f = try file()
        try f.createDataset(dataset, dims: dims, fileType: .uint8, chunks: Self.chunks(for: shape))
        try f.setAttribute(dataset, StudyFile.roleAttribute, .string(role.rawValue))
        try markClassIndices(f, dataset)
        if let region, region != Box3(shape: shape) {
            try check(region, region.shape.count, dataset: dataset)
            let maskName = "/masks/" + name
            try f.createDataset(maskName, dims: dims, fileType: .uint8, chunks: Self.chunks(for: shape))
            // One slice of ones at a time: the mask never costs more than a plane of memory.
            let ones = [UInt8](repeating: 1, count: region.y.count * region.x.count)
            for z in region.z {
                try f.writeSlab(maskName, start: [z, region.y.lowerBound, region.x.lowerBound],
                                count: [1, region.y.count, region.x.count], data: ones, memoryType: .uint8)
            }
            try f.setAttribute(dataset, StudyFile.maskAttribute, .string(maskName))
            try f.setAttribute(dataset, "roi", .ints([region.z.lowerBound, region.z.upperBound, region.y.lowerBound,
                                                      region.y.upperBound, region.x.lowerBound, region.x.upperBound]))
        }
        labelNames.append(name)
    }

    /// Writes labels of `box` (z, y, x order, `box.shape.count` values) into `/labels/NAME`.
    ///
    /// - Throws: `IOError(.badShape)` when the box is outside the volume or `data` has the wrong size.
    public func writeLabels(_ name: String, box: Box3, _ data: [UInt8]) throws(IOError) {
        let dataset = "/labels/" + name
        try check(box, data.count, dataset: dataset)
        try file().writeSlab(dataset, start: [box.z.lowerBound, box.y.lowerBound, box.x.lowerBound],
                             count: [box.z.count, box.y.count, box.x.count], data: data, memoryType: .uint8)
    }

    /// Creates an all-zero `/masks/NAME` (uint8) to be filled with `writeMask(_:box:_:)`, for
    /// masks that are not a label source's labeled region (e.g. undecided consensus voxels).
    func createMask(_ name: String) throws(IOError) {
        try file().createDataset("/masks/" + name, dims: dims, fileType: .uint8, chunks: Self.chunks(for: shape))
    }

    /// Writes mask values of `box` into `/masks/NAME`.
    ///
    /// - Throws: `IOError(.badShape)` when the box is outside the volume or `data` has the wrong size.
    func writeMask(_ name: String, box: Box3, _ data: [UInt8]) throws(IOError) {
        let dataset = "/masks/" + name
        try check(box, data.count, dataset: dataset)
        try file().writeSlab(dataset, start: [box.z.lowerBound, box.y.lowerBound, box.x.lowerBound],
                             count: [box.z.count, box.y.count, box.x.count], data: data, memoryType: .uint8)
    }

    // MARK: Probabilities

    /// Writes a whole probability source as `/probabilities/NAME`.
    ///
    /// - Parameter storage: `.float16` (half the size, as `segment` writes) or `.float32`.
    /// - Throws: `IOError(.badShape)` when the source's shape is not the study's.
    public func writeProbabilities(_ p: ProbabilitySource, storage: ScalarType = .float16) throws(IOError) {
        try createProbabilities(p.name, classes: p.classes, storage: storage)
        try writeProbabilities(p.name, box: Box3(shape: p.shape), classes: p.classes, p.data)
    }

    /// Creates an all-zero `/probabilities/NAME` of (classes, z, y, x) to be filled with
    /// `writeProbabilities(_:box:classes:_:)`.
    ///
    /// - Parameter storage: `.float16` or `.float32`.
    public func createProbabilities(_ name: String, classes: Int, storage: ScalarType = .float16) throws(IOError) {
        precondition(storage == .float16 || storage == .float32, "probabilities are stored as float16 or float32")
        try file().createDataset("/probabilities/" + name, dims: [classes] + dims, fileType: storage,
                                 chunks: [1] + Self.chunks(for: shape))
    }

    /// Writes the probabilities of `box`, channels first: (classes, box z, y, x).
    ///
    /// - Throws: `IOError(.badShape)` when the box is outside the volume or `data` has the wrong size.
    public func writeProbabilities(_ name: String, box: Box3, classes: Int, _ data: [Float]) throws(IOError) {
        let dataset = "/probabilities/" + name
        try check(box, data.count, per: classes, dataset: dataset)
        try file().writeSlab(dataset, start: [0, box.z.lowerBound, box.y.lowerBound, box.x.lowerBound],
                             count: [classes, box.z.count, box.y.count, box.x.count], data: data, memoryType: .float32)
    }

    // MARK: Attributes, commit

    /// Sets an attribute on `/` or on a dataset already written (e.g. `/labels/NAME`).
    public func setAttribute(_ object: String, _ key: String, _ value: AttributeValue) throws(IOError) {
        try file().setAttribute(object, key, value)
    }

    /// Puts the study in place: renames the scratch file to `path`, or adds its datasets (with
    /// their attributes) to the existing study in one open–write–close. Adding labels NAME also
    /// removes a stale `/masks/NAME` or `/probabilities/NAME` of the study that this writer did not
    /// write, since they described the labels being replaced.
    ///
    /// - Throws: `IOError(.writeFailed)` when the file cannot be finished; the scratch file is removed.
    public func commit() throws(IOError) {
        let f = try file()
        do throws(IOError) {
            try f.flush()
            scratch = nil
            if addsToExisting {
                try addScratch(to: path)
                unlink(scratchPath)
            } else {
                try AtomicFile.moveIntoPlace(scratchPath, as: path)
            }
            finished = true
        } catch {
            discard()
            throw error
        }
    }

    /// Abandons the study: removes the scratch file. `path` is untouched.
    public func discard() {
        scratch = nil
        finished = true
        unlink(scratchPath)
    }

    /// Copies every dataset of the scratch file into `destination`, slab by slab along z.
    private func addScratch(to destination: String) throws(IOError) {
        let src = try HDF5File(path: scratchPath, reportedAs: path)
        let dst = try HDF5File(path: destination, mode: .readWrite)
        let written = Set(src.datasetNames())
        for dataset in src.datasetNames() {
            let info = try src.info(dataset)
            let stored: ScalarType = info.typeName == "float16" ? .float16 : (info.scalarType ?? .float32)
            try dst.createDataset(dataset, dims: info.dims, fileType: stored, chunks: info.chunks ?? info.dims)
            // The z axis is the third from last.
            let zAxis = info.dims.count - 3
            let depth = ReadBudget.slabDepth(bytesPerPlane: info.dims.enumerated().filter { $0.offset != zAxis }.map(\.element).reduce(1, *) * 4)
            var z = 0
            while z < info.dims[zAxis] {
                let n = min(depth, info.dims[zAxis] - z)
                var start = [Int](repeating: 0, count: info.dims.count), count = info.dims
                start[zAxis] = z; count[zAxis] = n
                switch stored {
                case .uint8:
                    let d = try src.readArray(dataset, as: .uint8, of: UInt8.self, start: start, count: count)
                    try dst.writeSlab(dataset, start: start, count: count, data: d.data, memoryType: .uint8)
                default:
                    let d = try src.readArray(dataset, as: .float32, of: Float.self, start: start, count: count)
                    try dst.writeSlab(dataset, start: start, count: count, data: d.data, memoryType: .float32)
                }
                z += n
            }
            for key in src.attributeNames(dataset) {
                if let v = src.attribute(dataset, key) { try dst.setAttribute(dataset, key, v) }
            }
        }
        for name in labelNames {
            for stale in ["/masks/" + name, "/probabilities/" + name] where !written.contains(stale) && dst.exists(stale) {
                dst.delete(stale)
            }
        }
        for key in src.attributeNames("/") {
            if let v = src.attribute("/", key) { try dst.setAttribute("/", key, v) }
        }
        try dst.flush()
    }
}
