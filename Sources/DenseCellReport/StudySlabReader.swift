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

    /// Slices `z` of a 3-D dataset in its stored element type.
    func slab(_ dataset: String, z: Range<Int>) throws(IOError) -> AnyVolume {
        let info = try file.info(dataset)
        guard let scalar = info.scalarType else {
            throw IOError(.unsupportedType, file: path, dataset: info.name, "unsupported dtype \(info.typeName)")
        }
        guard info.dims.count == 3 else {
            // Squeezed layouts (a trailing channel of 1) are rare in study files: read whole and cut.
            let box = Box3(z: z, y: 0..<shape.y, x: 0..<shape.x)
            switch try VolumeReader.readHDF5(file, dataset) {
            case .uint8(let v): return .uint8(v.extract(box))
            case .uint16(let v): return .uint16(v.extract(box))
            case .int32(let v): return .int32(v.extract(box))
            case .float32(let v): return .float32(v.extract(box))
            case .int64(let v): return .int64(v.extract(box))
            case .float64(let v): return .float64(v.extract(box))
            }
        }
        let s = Shape3(z.count, shape.y, shape.x)
        let start = [z.lowerBound, 0, 0], count = [z.count, shape.y, shape.x]
        switch scalar {
        case .uint8: return .uint8(Volume(shape: s, data: try file.readArray(dataset, as: .uint8, of: UInt8.self, start: start, count: count).data))
        case .uint16: return .uint16(Volume(shape: s, data: try file.readArray(dataset, as: .uint16, of: UInt16.self, start: start, count: count).data))
        case .int32: return .int32(Volume(shape: s, data: try file.readArray(dataset, as: .int32, of: Int32.self, start: start, count: count).data))
        case .float32, .float16:
            return .float32(Volume(shape: s, data: try file.readArray(dataset, as: .float32, of: Float.self, start: start, count: count).data))
        case .int64: return .int64(Volume(shape: s, data: try file.readArray(dataset, as: .int64, of: Int64.self, start: start, count: count).data))
        case .float64: return .float64(Volume(shape: s, data: try file.readArray(dataset, as: .float64, of: Double.self, start: start, count: count).data))
        }
    }

    /// A label source's slices, checked against the schema, with its mask (0/1) if it has one.
    func labels(_ name: String, z: Range<Int>) throws(IOError) -> LabelSource {
        let dataset = "/labels/" + name
        let labels: Volume<UInt8>
        do { labels = try slab(dataset, z: z).asLabels(classCount: schema.count) } catch let error as LabelError {
            throw IOError(.badLabels, file: path, dataset: dataset, error.description)
        } catch let error as IOError { throw error } catch {
            throw IOError(.corrupt, file: path, dataset: dataset, "\(error)")
        }
        var mask: Volume<UInt8>? = nil
        if let m = maskDataset(name) {
            switch try slab(m, z: z) {
            case .uint8(let v): mask = v.map { $0 != 0 ? 1 : 0 }
            case .uint16(let v): mask = v.map { $0 != 0 ? 1 : 0 }
            case .int32(let v): mask = v.map { $0 != 0 ? 1 : 0 }
            case .float32(let v): mask = v.map { $0 != 0 ? 1 : 0 }
            case .int64(let v): mask = v.map { $0 != 0 ? 1 : 0 }
            case .float64(let v): mask = v.map { $0 != 0 ? 1 : 0 }
            }
        }
        return LabelSource(name: name, role: role(name), labels: labels, mask: mask)
    }

    /// The image's slices as float.
    func image(z: Range<Int>) throws(IOError) -> Volume<Float> { try slab("/image", z: z).asFloat() }

    /// Channel 0 (background) of a probability source over slices `z`.
    func backgroundProbability(_ name: String, z: Range<Int>) throws(IOError) -> ProbabilitySource {
        let dataset = "/probabilities/" + name
        let r = try file.readArray(dataset, as: .float32, of: Float.self, start: [0, z.lowerBound, 0, 0],
                                   count: [1, z.count, shape.y, shape.x])
        return ProbabilitySource(name: name, classes: 1, shape: Shape3(z.count, shape.y, shape.x), data: r.data)
    }
}
