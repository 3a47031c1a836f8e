import DenseCellCore
import Foundation

/// The study layout of DESIGN §2: `/image`, `/labels/<name>` (with `role` and optional `mask`
/// attributes) and `/probabilities/<name>`.
public enum StudyFile {
    /// Chunking for label and image volumes: a few slices of 256×256 tiles.
    static func volumeChunks(_ s: Shape3) -> [Int] { [min(s.z, 4), min(s.y, 256), min(s.x, 256)] }

    /// Names of the label sources in a study file, in file order.
    public static func labelNames(_ file: HDF5File) -> [String] {
        file.datasetNames().filter { $0.hasPrefix("/labels/") }.map { String($0.dropFirst("/labels/".count)) }
    }

    /// Reads the whole study: the image and every label and probability source.
    public static func read(path: String, schema: LabelSchema = .platelet) throws(IOError) -> Study {
        let file = try HDF5File(path: path)
        guard file.isDataset("/image") else {
            throw IOError(.missingDataset, file: path, dataset: "/image", "no such dataset (not a densecell study?)")
        }
        let image = try VolumeReader.readHDF5(file, "/image").asFloat()
        var study = Study(image: image, resolutionNM: file.attribute("/image", "resolution_nm")?.doubleValues, schema: schema)
        for name in labelNames(file) {
            study.labels.append(try readLabelSource(file, name: name, schema: schema, shape: image.shape))
        }
        for dataset in file.datasetNames() where dataset.hasPrefix("/probabilities/") {
            let r = try file.readArray(dataset, as: .float32, of: Float.self)
            guard r.dims.count == 4, Shape3(r.dims[1], r.dims[2], r.dims[3]) == image.shape else {
                throw IOError(.badShape, file: path, dataset: dataset, "probabilities must be (classes, z, y, x) matching the image \(image.shape)")
            }
            study.probabilities.append(ProbabilitySource(name: String(dataset.dropFirst("/probabilities/".count)),
                                                         classes: r.dims[0], shape: image.shape, data: r.data))
        }
        return study
    }

    public static func readLabelSource(_ file: HDF5File, name: String, schema: LabelSchema, shape: Shape3) throws(IOError) -> LabelSource {
        let dataset = "/labels/" + name
        let raw = try VolumeReader.readHDF5(file, dataset)
        guard raw.shape == shape else {
            throw IOError(.badShape, file: file.path, dataset: dataset, "shape \(raw.shape) does not match the image \(shape)")
        }
        let labels: Volume<UInt8>
        do { labels = try raw.asLabels(classCount: schema.count) } catch {
            throw IOError(.badLabels, file: file.path, dataset: dataset, error.description)
        }
        let role = file.attribute(dataset, "role")?.stringValue.flatMap(SourceRole.init(rawValue:)) ?? roleGuess(name)
        var mask: Volume<UInt8>? = nil
        if let maskName = file.attribute(dataset, "mask")?.stringValue {
            let m = try VolumeReader.readHDF5(file, maskName)
            guard m.shape == shape else {
                throw IOError(.badShape, file: file.path, dataset: maskName, "mask shape \(m.shape) does not match the image \(shape)")
            }
            mask = try? m.asLabels(classCount: 256)
        }
        return LabelSource(name: name, role: role, labels: labels, mask: mask)
    }

    /// The role of a source without a `role` attribute, from its name.
    public static func roleGuess(_ name: String) -> SourceRole {
        if name == "truth" || name.hasPrefix("truth") { return .truth }
        if name.hasPrefix("annotator") { return .annotator }
        return .algorithm
    }

    /// Writes a complete study to `path` atomically (temporary name, then rename).
    public static func write(_ study: Study, path: String) throws(IOError) {
        try AtomicFile.write(to: path) { (tmp: String) throws(IOError) in
            let file = try HDF5File(path: tmp, mode: .truncate)
            try writeImage(study.image, resolution: study.resolutionNM, into: file)
            for source in study.labels { try writeLabels(source, into: file) }
            for p in study.probabilities { try writeProbabilities(p, into: file) }
            try file.flush()
        }
    }

    public static func writeImage(_ image: Volume<Float>, resolution: [Double]?, into file: HDF5File) throws(IOError) {
        // Images that are whole numbers in 0...255 are stored as uint8, as microscopes write them.
        let isByte = image.data.allSatisfy { $0 >= 0 && $0 <= 255 && $0 == $0.rounded() }
        if isByte {
            try file.writeArray("/image", dims: [image.shape.z, image.shape.y, image.shape.x], data: image.data.map { UInt8($0) },
                                memoryType: .uint8, chunks: volumeChunks(image.shape), gzip: 1)
        } else {
            try file.writeArray("/image", dims: [image.shape.z, image.shape.y, image.shape.x], data: image.data,
                                memoryType: .float32, chunks: volumeChunks(image.shape), gzip: 1)
        }
        if let resolution { try file.setAttribute("/image", "resolution_nm", .doubles(resolution)) }
    }

    public static func writeLabels(_ source: LabelSource, into file: HDF5File) throws(IOError) {
        let s = source.labels.shape
        let dataset = "/labels/" + source.name
        try file.writeArray(dataset, dims: [s.z, s.y, s.x], data: source.labels.data, memoryType: .uint8,
                            chunks: volumeChunks(s), gzip: 1)
        try file.setAttribute(dataset, "role", .string(source.role.rawValue))
        if let mask = source.mask {
            let maskName = "/masks/" + source.name
            try file.writeArray(maskName, dims: [s.z, s.y, s.x], data: mask.data, memoryType: .uint8, chunks: volumeChunks(s), gzip: 1)
            try file.setAttribute(dataset, "mask", .string(maskName))
        }
    }

    public static func writeProbabilities(_ p: ProbabilitySource, into file: HDF5File) throws(IOError) {
        let s = p.shape
        try file.writeArray("/probabilities/" + p.name, dims: [p.classes, s.z, s.y, s.x], data: p.data,
                            memoryType: .float32, fileType: .float16, chunks: [1] + volumeChunks(s), gzip: 1)
    }
}

/// Writes a new file under a temporary name and renames it into place, so a failure or a
/// kill never leaves a half-written file under the real name.
public enum AtomicFile {
    public static func write(to path: String, _ body: (String) throws(IOError) -> Void) throws(IOError) {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let tmp = (dir.isEmpty ? "" : dir + "/") + ".\(base).partial-\(getpid())"
        do { try body(tmp) } catch {
            unlink(tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            unlink(tmp)
            throw IOError(.writeFailed, file: path, "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
    }
}
