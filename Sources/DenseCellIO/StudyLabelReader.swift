import DenseCellCore
import Foundation

/// One label source of a study file, opened rather than loaded: its shape, role and mask are known
/// at once and z-slabs are read on demand, so passes over gigavoxel sources stream.
public final class StudyLabelReader {
    public let file: HDF5File
    public let name: String
    public let dataset: String
    public let shape: Shape3
    public let role: SourceRole
    /// The dataset holding this source's labeled region, if it has one.
    public let maskDataset: String?
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
        let info = try file.info(dataset)
        guard info.dims.count == 3, let s = VolumeReader.volumeShape(dims: info.dims) else {
            throw IOError(.badShape, file: file.path, dataset: dataset,
                          "shape \(info.dims.map(String.init).joined(separator: "×")) is not a 3-D volume")
        }
        shape = s
        role = file.attribute(dataset, "role")?.stringValue.flatMap(SourceRole.init(rawValue:)) ?? SourceRole(guessingFrom: name)
        maskDataset = file.attribute(dataset, "mask")?.stringValue
        if let maskDataset {
            let m = try file.info(maskDataset)
            guard VolumeReader.volumeShape(dims: m.dims) == shape else {
                throw IOError(.badShape, file: file.path, dataset: maskDataset, "mask shape does not match the labels \(shape)")
            }
        }
    }

    /// Labels of planes `z` (all of y and x).
    /// - Throws: `IOError.badLabels` naming the first value outside the schema.
    public func labels(z: Range<Int>) throws(IOError) -> Volume<UInt8> {
        try labels(Box3(z: z, y: 0..<shape.y, x: 0..<shape.x))
    }

    /// Labels inside `box`.
    public func labels(_ box: Box3) throws(IOError) -> Volume<UInt8> {
        let v = try read(dataset, box)
        if let bad = v.data.first(where: { Int($0) >= classCount }) {
            throw IOError(.badLabels, file: file.path, dataset: dataset,
                          "label value \(bad) is outside the schema's \(classCount) classes")
        }
        return v
    }

    /// The labeled-region mask inside `box`, or nil when the source labels everything.
    public func mask(_ box: Box3) throws(IOError) -> Volume<UInt8>? {
        guard let maskDataset else { return nil }
        return try read(maskDataset, box)
    }

    private func read(_ name: String, _ box: Box3) throws(IOError) -> Volume<UInt8> {
        let r = try file.readArray(name, as: .uint8, of: UInt8.self,
                                   start: [box.z.lowerBound, box.y.lowerBound, box.x.lowerBound],
                                   count: [box.z.count, box.y.count, box.x.count])
        return Volume(shape: box.shape, data: r.data)
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
