import DenseCellCore
import Foundation

/// The study file layout (see docs/ARCHITECTURE.md, "Study file layout"): `/image`,
/// `/labels/<name>` (with `role` and optional `mask` attributes), `/masks/<name>` and
/// `/probabilities/<name>`. `OpenedStudy` reads it; `StudyWriter` writes it. This is the one place
/// that knows its dataset names and attributes.
public enum StudyFile {
    /// The image dataset.
    static let imageDataset = "/image"
    /// The group of label sources.
    static let labelsGroup = "/labels/"
    /// The group of probability sources.
    static let probabilitiesGroup = "/probabilities/"

    /// The attribute densecell puts on the labels it computes (`values = "class indices"`): their
    /// values are the schema's classes already, so a schema's listed stored values do not apply.
    static let labelValuesAttribute = (name: "values", classIndices: "class indices")

    /// Whether a dataset's attribute says it holds class indices (labels densecell wrote).
    static func holdsClassIndices(_ file: HDF5File, _ dataset: String) -> Bool {
        file.attribute(dataset, labelValuesAttribute.name)?.stringValue == labelValuesAttribute.classIndices
    }

    /// A label source's role (truth, annotator, algorithm), in HDF5 and OME-Zarr alike.
    static let roleAttribute = "role"
    /// The dataset (HDF5) or path from the store's root (OME-Zarr) of a label source's labeled region.
    static let maskAttribute = "mask"
    /// The attributes densecell gives a study's datasets (what `info` shows of any HDF5 dataset).
    public static let attributeNames = [roleAttribute, maskAttribute, "resolution_nm", "values"]

    /// `/labels/NAME`.
    public static func labelsDataset(_ name: String) -> String { labelsGroup + name }

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
        file.datasetNames().filter { $0.hasPrefix(labelsGroup) }.map { String($0.dropFirst(labelsGroup.count)) }
    }

    /// The `resolution_nm` attribute of a dataset (z, y, x), when recorded.
    static func resolution(_ file: HDF5File, _ dataset: String) -> [Double]? {
        file.attribute(dataset, "resolution_nm")?.doubleValues
    }

    /// What a label dataset's attributes say about it.
    struct LabelAttributes {
        /// The recorded `role`, else the one its name suggests.
        var role: SourceRole
        /// The dataset its `mask` attribute names, if any.
        var maskDataset: String?

        init(_ file: HDF5File, dataset: String, name: String) {
            role = file.attribute(dataset, roleAttribute)?.stringValue.flatMap(SourceRole.init(rawValue:)) ?? SourceRole(guessingFrom: name)
            maskDataset = file.attribute(dataset, maskAttribute)?.stringValue.map(HDF5File.normalize)
        }

        /// The mask, opened and checked against the labels' shape.
        ///
        /// - Throws: `IOError(.badShape)` when its shape is not `shape`, naming `owner`.
        func openMask(_ file: HDF5File, matching shape: Shape3, of owner: String) throws(IOError) -> VolumeSource? {
            guard let maskDataset else { return nil }
            let mask = try VolumeReader.open(file, maskDataset)
            guard mask.shape == shape else {
                throw IOError(.badShape, file: file.path, dataset: maskDataset, "mask shape \(mask.shape) does not match its labels \(owner) (\(shape))")
            }
            return mask
        }
    }

    /// Reads a whole (small) study into memory: the image and every label and probability source.
    static func read(path: String, schema: LabelSchema = .platelet) throws(IOError) -> Study {
        // File order, as the study was written.
        let names = labelNames(try HDF5File(path: path))
        let opened = try OpenedStudy.open(study: path, schema: schema, select: names)
        var study = try opened.slices(0..<opened.shape.z)
        for name in opened.probabilityNames {
            let p = try opened.probabilities(name)
            var data: [Float] = []
            for c in 0..<p.classes { data += try p.channel(c, z: 0..<opened.shape.z).data }
            study.probabilities.append(ProbabilitySource(name: p.name, classes: p.classes, shape: opened.shape, data: data))
        }
        return study
    }

    /// Writes a complete in-memory study to `path` atomically (temporary name, then rename),
    /// replacing any file there, through `StudyWriter`: probabilities are stored as float16.
    ///
    /// - Throws: `IOError` when the directory does not exist or the file cannot be written;
    ///   nothing is left at `path` then.
    static func write(_ study: Study, path: String) throws(IOError) {
        let writer = try StudyWriter(path: path, shape: study.shape, existing: .replace)
        try writer.writeImage(study.image, resolutionNM: study.resolutionNM)
        for source in study.labels { try writer.writeLabels(source) }
        for p in study.probabilities { try writer.writeProbabilities(p) }
        try writer.commit()
    }
}
