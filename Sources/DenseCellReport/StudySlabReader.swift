import DenseCellCore
import DenseCellIO
import Foundation

/// Reads a study file's datasets a z-slab at a time (HDF5 hyperslabs), so a report over a
/// large study holds only a few slices of each source at once.
final class StudySlabReader {
    let file: HDF5File
    let shape: Shape3
    let schema: LabelSchema

    /// Opens `path` and checks that it is a study (it has `/image`).
    init(path: String, schema: LabelSchema) throws(IOError) {
        guard FileManager.default.fileExists(atPath: path) else { throw IOError(.missingFile, file: path, "no such file") }
        file = try HDF5File(path: path)
        guard file.isDataset("/image") else {
            throw IOError(.missingDataset, file: path, dataset: "/image", "no such dataset (not a densecell study?)")
        }
        guard let s = VolumeReader.volumeShape(dims: try file.info("/image").dims) else {
            throw IOError(.badShape, file: path, dataset: "/image", "not a 3-D volume")
        }
        shape = s
        self.schema = schema
    }

    var path: String { file.path }

    /// Voxel size in nanometres (z, y, x), when recorded.
    var resolutionNM: [Double]? { file.attribute("/image", "resolution_nm")?.doubleValues }

    /// Label source names in file order.
    var labelNames: [String] { StudyFile.labelNames(file) }

    /// Probability source names in file order.
    var probabilityNames: [String] {
        file.datasetNames().filter { $0.hasPrefix("/probabilities/") }.map { String($0.dropFirst("/probabilities/".count)) }
    }

    func role(_ name: String) -> SourceRole {
        file.attribute("/labels/" + name, "role")?.stringValue.flatMap(SourceRole.init(rawValue:)) ?? SourceRole(guessingFrom: name)
    }

    /// The dataset holding a source's labeled-region mask, when it has one.
    func maskDataset(_ name: String) -> String? { file.attribute("/labels/" + name, "mask")?.stringValue }

    /// Checks every dataset the report will read against the image's shape before any work.
    func checkShapes(labels: [String], probabilities: [String]) throws(IOError) {
        for name in labels {
            for dataset in ["/labels/" + name] + (maskDataset(name).map { [$0] } ?? []) {
                let info = try file.info(dataset)
                guard VolumeReader.volumeShape(dims: info.dims) == shape else {
                    throw IOError(.badShape, file: path, dataset: dataset,
                                  "shape \(info.dims.map(String.init).joined(separator: "×")) does not match the image \(shape)")
                }
            }
        }
        for name in probabilities {
            let info = try file.info("/probabilities/" + name)
            guard info.dims.count == 4, info.dims[0] >= 2, Shape3(info.dims[1], info.dims[2], info.dims[3]) == shape else {
                throw IOError(.badShape, file: path, dataset: info.name,
                              "shape \(info.dims.map(String.init).joined(separator: "×")) is not (classes ≥ 2, \(shape.z), \(shape.y), \(shape.x))")
            }
        }
    }

    /// The opened datasets, read a box at a time through IO's volume readers.
    private var opened: [String: VolumeSource] = [:]

    private func source(_ dataset: String) throws(IOError) -> VolumeSource {
        if let v = opened[dataset] { return v }
        let v = try VolumeReader.open(file, dataset)
        opened[dataset] = v
        return v
    }

    private func box(_ z: Range<Int>) -> Box3 { Box3(z: z, y: 0..<shape.y, x: 0..<shape.x) }

    /// Slices `z` of a 3-D dataset in its stored element type.
    func slab(_ dataset: String, z: Range<Int>) throws(IOError) -> AnyVolume { try source(dataset).read(box(z)) }

    /// A label source's slices, checked against the schema, with its mask (0/1) if it has one.
    func labels(_ name: String, z: Range<Int>) throws(IOError) -> LabelSource {
        let labels = try source("/labels/" + name).readLabels(box(z), classCount: schema.count)
        let mask = try maskDataset(name).map { (m: String) throws(IOError) in try source(m).readMask(box(z)) }
        return LabelSource(name: name, role: role(name), labels: labels, mask: mask)
    }

    /// The image's slices as float (NaN and infinity refused).
    func image(z: Range<Int>) throws(IOError) -> Volume<Float> { try source("/image").readImage(box(z)) }

    /// Channel 0 (background) of a probability source over slices `z`.
    func backgroundProbability(_ name: String, z: Range<Int>) throws(IOError) -> ProbabilitySource {
        let dataset = "/probabilities/" + name
        let r = try file.readArray(dataset, as: .float32, of: Float.self, start: [0, z.lowerBound, 0, 0],
                                   count: [1, z.count, shape.y, shape.x])
        return ProbabilitySource(name: name, classes: 1, shape: Shape3(z.count, shape.y, shape.x), data: r.data)
    }
}
