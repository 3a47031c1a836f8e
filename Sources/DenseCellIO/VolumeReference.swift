import DenseCellCore
import Foundation

/// A volume named on the command line: `file.h5:/dataset`, `stack.tif`, a directory of PNGs, a
/// Zarr or N5 store (`data.ome.zarr`, `data.zarr/path/to/array`, `data.n5:/volumes/raw/s0`).
public struct VolumeReference: Hashable, Sendable, CustomStringConvertible {
    /// The file format, from the path: a directory holding Zarr or N5 metadata is that store, any
    /// other directory holds PNG slices, `.tif`/`.tiff` is a TIFF stack, anything else HDF5.
    public enum Kind: Sendable, Equatable { case hdf5(dataset: String?), tiff, pngDirectory, zarr, n5 }
    /// The file or directory, as the user wrote it.
    public var path: String
    /// The HDF5 dataset, normalized to start with `/`, when one was named.
    public var dataset: String?
    /// The file format.
    public var kind: Kind

    /// `PATH:DATASET` or `PATH`, for messages.
    /// A reference to `path` (and `dataset` of an HDF5 file), as parsed or made in code.
    public init(path: String, dataset: String?, kind: Kind) { self.path = path; self.dataset = dataset; self.kind = kind }

    public var description: String { dataset.map { "\(path):\($0)" } ?? path }

    /// Equal when path and dataset are; the kind follows from them.
    public static func == (a: Self, b: Self) -> Bool { a.path == b.path && a.dataset == b.dataset }
    /// Hashes path and dataset, as `==` compares them.
    public func hash(into h: inout Hasher) { h.combine(path); h.combine(dataset) }

    /// Parses `PATH` or `PATH:DATASET`. The split is at the first `:` whose prefix is an
    /// existing file, so paths with colons still work.
    ///
    /// - Throws: `IOError(.missingFile)` naming the file part when no such file exists.
    public static func parse(_ text: String) throws(IOError) -> VolumeReference {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: text, isDirectory: &isDir) {
            if isDir.boolValue {
                switch ChunkedStore.format(ofDirectory: text) {
                case .zarr: return VolumeReference(path: text, dataset: nil, kind: .zarr)
                case .n5: return VolumeReference(path: text, dataset: nil, kind: .n5)
                case nil: return VolumeReference(path: text, dataset: nil, kind: .pngDirectory)
                }
            }
            return VolumeReference(path: text, dataset: nil, kind: kindOf(text, dataset: nil))
        }
        for i in text.indices where text[i] == ":" {
            let p = String(text[..<i]), d = String(text[text.index(after: i)...])
            guard !d.isEmpty, fm.fileExists(atPath: p, isDirectory: &isDir) else { continue }
            let dataset = d.hasPrefix("/") ? d : "/" + d
            if !isDir.boolValue { return VolumeReference(path: p, dataset: dataset, kind: .hdf5(dataset: d)) }
            switch ChunkedStore.format(ofDirectory: p) {
            case .zarr: return VolumeReference(path: p, dataset: dataset, kind: .zarr)
            case .n5: return VolumeReference(path: p, dataset: dataset, kind: .n5)
            case nil: continue
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

/// Reads volume references into memory, squeezing singleton axes to (z, y, x)
/// (see docs/ARCHITECTURE.md, "Volumes and files").
public enum VolumeReader {
    /// Reads the volume, optionally binned on read (`bin` = factors per axis; mean for
    /// images, mode for labels when `labels` is true).
    ///
    /// - Throws: `IOError` naming the file (and dataset) when it is missing, corrupt, not a 3-D
    ///   volume, of an unsupported type, or an HDF5 file without a dataset named.
    public static func read(_ ref: VolumeReference, bin: Shape3? = nil, labels: Bool = false) throws(IOError) -> AnyVolume {
        let source = try open(ref)
        var v = try source.read(source.bounds)
        if let bin, bin != Shape3(1, 1, 1) {
            v = Binning.bin(v, factors: bin, labels: labels)
        }
        return v
    }

    /// Reads labels through the schema's mapping, then bins them (mode of the classes).
    ///
    /// - Throws: `IOError(.badLabels)` naming the first value outside the schema or the instance ids
    ///   found, or the errors of `read`.
    public static func readLabels(_ ref: VolumeReference, mapping: LabelMapping, bin: Shape3? = nil) throws(IOError) -> Volume<UInt8> {
        let source = try open(ref)
        let labels = try source.readLabels(source.bounds, mapping: mapping)
        guard let bin, bin != Shape3(1, 1, 1) else { return labels }
        guard case .uint8(let binned) = Binning.bin(.uint8(labels), factors: bin, labels: true) else {
            preconditionFailure("binning uint8 labels keeps them uint8")
        }
        return binned
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

    /// For each axis of a dataset of these dims, the volume axis (0 z, 1 y, 2 x) it becomes,
    /// or nil for a size-1 axis squeezed away (the same squeezing as `volumeShape`).
    static func axisMap(dims: [Int]) -> [Int?] {
        var kept = Array(dims.indices)
        while kept.count > 3, let i = kept.lastIndex(where: { dims[$0] == 1 }) { kept.remove(at: i) }
        let offset = 3 - kept.count   // a 2-D dataset is one slice: its axes are y and x
        return dims.indices.map { axis in kept.firstIndex(of: axis).map { $0 + offset } }
    }

    /// Reads a whole HDF5 dataset as a volume, every value exactly: wide integers and doubles come
    /// back as `.int32`/`.float32` when those hold every value, else as `.int64`/`.float64`.
    ///
    /// - Throws: `IOError` for an unsupported dtype, an empty dataset, a dataset that is not 3-D
    ///   after squeezing, or a uint64 value above 2^63 − 1 (named in the message).
    static func readHDF5(_ file: HDF5File, _ dataset: String) throws(IOError) -> AnyVolume {
        let source = try open(file, dataset)
        return try source.read(source.bounds)
    }

    /// Reads z-slices `z` of an HDF5 dataset as float (for streaming large images).
    ///
    /// - Throws: `IOError` when the dataset is not a volume, or holds a value float cannot (beyond ±3.4e38).
    static func readSlab(_ file: HDF5File, _ dataset: String, z: Range<Int>) throws(IOError) -> Volume<Float> {
        let source = try HDF5Volume(file: file, dataset: HDF5File.normalize(dataset),
                                    reference: VolumeReference(path: file.path, dataset: HDF5File.normalize(dataset), kind: .hdf5(dataset: dataset)))
        return try source.readFloat(source.slab(z))
    }
}
