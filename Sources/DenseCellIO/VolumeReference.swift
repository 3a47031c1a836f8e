import DenseCellCore
import Foundation

/// A volume named on the command line: `file.h5:/dataset`, `stack.tif`, or a directory of PNGs.
public struct VolumeReference: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case hdf5(dataset: String?), tiff, pngDirectory }
    public var path: String
    public var dataset: String?
    public var kind: Kind

    public var description: String { dataset.map { "\(path):\($0)" } ?? path }

    public static func == (a: Self, b: Self) -> Bool { a.path == b.path && a.dataset == b.dataset }
    public func hash(into h: inout Hasher) { h.combine(path); h.combine(dataset) }

    /// Parses `PATH` or `PATH:DATASET`. The split is at the first `:` whose prefix is an
    /// existing file, so paths with colons still work.
    public static func parse(_ text: String) throws(IOError) -> VolumeReference {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: text, isDirectory: &isDir) {
            if isDir.boolValue { return VolumeReference(path: text, dataset: nil, kind: .pngDirectory) }
            return VolumeReference(path: text, dataset: nil, kind: kindOf(text, dataset: nil))
        }
        for i in text.indices where text[i] == ":" {
            let p = String(text[..<i]), d = String(text[text.index(after: i)...])
            if fm.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue, !d.isEmpty {
                return VolumeReference(path: p, dataset: d.hasPrefix("/") ? d : "/" + d, kind: .hdf5(dataset: d))
            }
        }
        // Name the file part in the error, as the user meant it.
        let file = text.range(of: ".h5:").map { String(text[..<text.index($0.lowerBound, offsetBy: 3)]) } ?? text
        throw IOError(.missingFile, file: file, "no such file")
    }

    static func kindOf(_ path: String, dataset: String?) -> Kind {
        let ext = (path as NSString).pathExtension.lowercased()
        if ext == "tif" || ext == "tiff" { return .tiff }
        return .hdf5(dataset: dataset)
    }
}

/// Reads volume references into memory, squeezing singleton axes to (z, y, x).
public enum VolumeReader {
    /// Reads the volume, optionally binned on read (`bin` = factors per axis; mean for
    /// images, mode for labels when `labels` is true).
    public static func read(_ ref: VolumeReference, bin: Shape3? = nil, labels: Bool = false) throws(IOError) -> AnyVolume {
        var v: AnyVolume
        switch ref.kind {
        case .tiff: v = try TIFFStack.read(path: ref.path)
        case .pngDirectory: v = try PNGStack.read(directory: ref.path)
        case .hdf5:
            guard let dataset = ref.dataset else {
                let file = try HDF5File(path: ref.path)
                let names = file.datasetNames()
                throw IOError(.badReference, file: ref.path,
                              "name a dataset as \(ref.path):/DATASET (this file has \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
            }
            let file = try HDF5File(path: ref.path)
            v = try readHDF5(file, dataset)
        }
        if let bin, bin != Shape3(1, 1, 1) {
            v = Binning.bin(v, factors: bin, labels: labels)
        }
        return v
    }

    /// Reads labels and checks them against the schema's class count.
    public static func readLabels(_ ref: VolumeReference, classCount: Int, bin: Shape3? = nil) throws(IOError) -> Volume<UInt8> {
        let v = try read(ref, bin: bin, labels: true)
        do { return try v.asLabels(classCount: classCount) } catch {
            throw IOError(.badLabels, file: ref.path, dataset: ref.dataset, error.description)
        }
    }

    /// The (z, y, x) shape a dataset of these dims is read as, or nil when it is not a volume.
    /// Size-1 axes are dropped while more than three remain (ilastik's trailing channel
    /// included); a 2-D dataset is one slice.
    public static func volumeShape(dims: [Int]) -> Shape3? {
        var d = dims
        while d.count > 3, let i = d.lastIndex(of: 1) { d.remove(at: i) }
        if d.count == 2 { d.insert(1, at: 0) }
        guard d.count == 3, d.allSatisfy({ $0 > 0 }) else { return nil }
        return Shape3(d[0], d[1], d[2])
    }

    /// Reads a whole HDF5 dataset as a volume, every value exactly: wide integers and doubles come
    /// back as `.int32`/`.float32` when those hold every value, else as `.int64`/`.float64`.
    ///
    /// - Throws: `IOError` for an unsupported dtype, a dataset that is not 3-D after squeezing, or
    ///   a uint64 value above 2^63 − 1 (named in the message).
    public static func readHDF5(_ file: HDF5File, _ dataset: String) throws(IOError) -> AnyVolume {
        let info = try file.info(dataset)
        guard let scalar = info.scalarType else {
            throw IOError(.unsupportedType, file: file.path, dataset: info.name, "unsupported dtype \(info.typeName)")
        }
        guard let shape = volumeShape(dims: info.dims) else {
            throw IOError(.badShape, file: file.path, dataset: info.name,
                          "shape \(info.dims.map(String.init).joined(separator: "×")) is not a 3-D volume after squeezing")
        }
        switch scalar {
        case .uint8: return .uint8(Volume(shape: shape, data: try file.readArray(dataset, as: .uint8, of: UInt8.self).data))
        case .uint16: return .uint16(Volume(shape: shape, data: try file.readArray(dataset, as: .uint16, of: UInt16.self).data))
        case .int32: return .int32(Volume(shape: shape, data: try file.readArray(dataset, as: .int32, of: Int32.self).data))
        case .float32, .float16: return .float32(Volume(shape: shape, data: try file.readArray(dataset, as: .float32, of: Float.self).data))
        case .int64:
            // Wide integers are read exactly; int32 holds them when every value fits (half the memory).
            let data = try file.readArray(dataset, as: .int64, of: Int64.self).data
            if data.allSatisfy({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }) {
                return .int32(Volume(shape: shape, data: data.map { Int32($0) }))
            }
            return .int64(Volume(shape: shape, data: data))
        case .float64:
            // Doubles are read exactly; float32 holds them when every value survives the round trip.
            let data = try file.readArray(dataset, as: .float64, of: Double.self).data
            if data.allSatisfy({ Double(Float($0)) == $0 || $0.isNaN }) {
                return .float32(Volume(shape: shape, data: data.map { Float($0) }))
            }
            return .float64(Volume(shape: shape, data: data))
        }
    }

    /// Reads z-slices `z` of a 3-D HDF5 dataset as float (for streaming large images).
    public static func readSlab(_ file: HDF5File, _ dataset: String, z: Range<Int>) throws(IOError) -> Volume<Float> {
        let info = try file.info(dataset)
        guard let shape = volumeShape(dims: info.dims) else {
            throw IOError(.badShape, file: file.path, dataset: info.name, "not a 3-D volume")
        }
        guard info.dims.count == 3 else {
            // Squeezed layouts are small in practice: read whole and cut.
            return try readHDF5(file, dataset).asFloat().extract(Box3(z: z, y: 0..<shape.y, x: 0..<shape.x))
        }
        let r = try file.readArray(dataset, as: .float32, of: Float.self, start: [z.lowerBound, 0, 0], count: [z.count, shape.y, shape.x])
        return Volume(shape: Shape3(z.count, shape.y, shape.x), data: r.data)
    }
}
