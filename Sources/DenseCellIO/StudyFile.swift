import DenseCellCore
import Foundation

/// Reads the study file layout (see docs/ARCHITECTURE.md, "Study file layout"): `/image`,
/// `/labels/<name>` (with `role` and optional `mask` attributes), `/masks/<name>` and
/// `/probabilities/<name>`. `StudyWriter` writes it.
public enum StudyFile {
    /// A file kept beside a study: `dir/study.h5` → `dir/study` + `suffix` (the review log, the
    /// viewer's cache).
    public static func sibling(ofStudy study: String, suffix: String) -> String {
        let ns = study as NSString
        let base = (ns.lastPathComponent as NSString).deletingPathExtension
        let dir = ns.deletingLastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + base + suffix
    }

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

    /// Reads `/labels/NAME` with its role (recorded, or guessed from the name) and mask.
    ///
    /// - Throws: `IOError` when the labels or mask do not match `shape` or hold values outside the schema.
    static func readLabelSource(_ file: HDF5File, name: String, schema: LabelSchema, shape: Shape3) throws(IOError) -> LabelSource {
        let dataset = "/labels/" + name
        // Opened first: a source of another shape is refused before anything is read.
        let source = try VolumeReader.open(file, dataset)
        guard source.shape == shape else {
            throw IOError(.badShape, file: file.path, dataset: dataset, "shape \(source.shape) does not match the image \(shape)")
        }
        let labels = try source.readLabels(source.bounds, classCount: schema.count)
        let role = file.attribute(dataset, "role")?.stringValue.flatMap(SourceRole.init(rawValue:)) ?? SourceRole(guessingFrom: name)
        var mask: Volume<UInt8>? = nil
        if let maskName = file.attribute(dataset, "mask")?.stringValue {
            let m = try VolumeReader.open(file, maskName)
            guard m.shape == shape else {
                throw IOError(.badShape, file: file.path, dataset: maskName, "mask shape \(m.shape) does not match the image \(shape)")
            }
            mask = try m.readMask(m.bounds)
        }
        return LabelSource(name: name, role: role, labels: labels, mask: mask)
    }

    /// Writes a complete in-memory study to `path` atomically (temporary name, then rename),
    /// replacing any file there, through `StudyWriter`: probabilities are stored as float16.
    ///
    /// - Throws: `IOError` when the directory does not exist or the file cannot be written;
    ///   nothing is left at `path` then.
    public static func write(_ study: Study, path: String) throws(IOError) {
        let writer = try StudyWriter(path: path, shape: study.shape, existing: .replace)
        try writer.writeImage(study.image, resolutionNM: study.resolutionNM)
        for source in study.labels { try writer.writeLabels(source) }
        for p in study.probabilities { try writer.writeProbabilities(p) }
        try writer.commit()
    }
}
