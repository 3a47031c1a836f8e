import DenseCellCore
import Foundation

/// One label source of a study file, opened rather than loaded: its shape, role and mask are known
/// at once and boxes are read on demand through `VolumeSource` readers, so passes over gigavoxel
/// sources stream.
public final class StudyLabelReader {
    /// The open study the source is read from.
    public let file: HDF5File
    /// The source's name under `/labels`.
    public let name: String
    /// The labels' dataset path (`/labels/NAME`).
    public let dataset: String
    /// The labels' (z, y, x) shape.
    public let shape: Shape3
    /// Truth, annotator or algorithm: the dataset's `role` attribute, else guessed from the name.
    public let role: SourceRole
    /// The dataset holding this source's labeled region, if it has one.
    public let maskDataset: String?
    /// The labels, opened.
    public let labelSource: VolumeSource
    /// The labeled-region mask, opened, if the source has one.
    public let maskSource: VolumeSource?
    let classCount: Int

    /// - Parameters:
    ///   - file: the open study.
    ///   - name: the source's name under `/labels`.
    ///   - classCount: labels at or above this are refused as outside the schema.
    /// - Throws: `IOError` for a missing source, a dataset that is not a 3-D volume or a mask of
    ///   another shape.
    public init(file: HDF5File, name: String, classCount: Int) throws(IOError) {
        self.file = file; self.name = name; self.classCount = classCount
        dataset = "/labels/" + name
        guard file.isDataset(dataset) else {
            let have = StudyFile.labelNames(file)
            throw IOError(.missingDataset, file: file.path, dataset: dataset,
                          "no such label source (have: \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
        }
        labelSource = try VolumeReader.open(file, dataset)
        shape = labelSource.shape
        role = file.attribute(dataset, "role")?.stringValue.flatMap(SourceRole.init(rawValue:)) ?? SourceRole(guessingFrom: name)
        maskDataset = file.attribute(dataset, "mask")?.stringValue
        if let maskDataset {
            let m = try VolumeReader.open(file, maskDataset)
            guard m.shape == shape else {
                throw IOError(.badShape, file: file.path, dataset: maskDataset, "mask shape \(m.shape) does not match the labels \(shape)")
            }
            maskSource = m
        } else {
            maskSource = nil
        }
    }

    /// Labels of planes `z` (all of y and x).
    /// - Throws: `IOError.badLabels` naming the first value outside the schema.
    public func labels(z: Range<Int>) throws(IOError) -> Volume<UInt8> {
        try labels(Box3(z: z, y: 0..<shape.y, x: 0..<shape.x))
    }

    /// Labels inside `box`.
    /// - Throws: `IOError.badLabels` naming the first value outside the schema.
    public func labels(_ box: Box3) throws(IOError) -> Volume<UInt8> {
        try labelSource.readLabels(box, classCount: classCount)
    }

    /// The labeled-region mask inside `box` (1 inside, 0 outside), or nil when the source labels everything.
    public func mask(_ box: Box3) throws(IOError) -> Volume<UInt8>? {
        try maskSource?.readMask(box)
    }
}

extension StudyFile {
    /// The study's voxel shape: that of `/image`, or of its first label source.
    /// - Throws: `IOError` when the file has neither or they are not 3-D volumes.
    public static func shape(of file: HDF5File) throws(IOError) -> Shape3 {
        let names = labelNames(file)
        guard let dataset = file.isDataset("/image") ? "/image" : names.first.map({ "/labels/" + $0 }) else {
            throw IOError(.missingDataset, file: file.path, dataset: "/image", "no image and no label sources in this study")
        }
        guard let shape = VolumeReader.volumeShape(dims: try file.info(dataset).dims) else {
            throw IOError(.badShape, file: file.path, dataset: dataset, "not a 3-D volume")
        }
        return shape
    }
}
