import DenseCellCore
import Foundation

/// An image opened for reading whole z-slabs as float, the way inference and the study writer
/// consume it. 3-D HDF5 datasets stream from the file; TIFF stacks, PNG directories and squeezed
/// HDF5 layouts are read into memory once (see docs/ARCHITECTURE.md, "Volumes and files").
public final class ImageSource {
    /// The reference the image was opened from (a study file resolves to `STUDY.h5:/image`).
    public let reference: VolumeReference
    /// The image's (z, y, x) shape.
    public let shape: Shape3
    /// The element type a copy of this image is stored as: uint8 stays uint8, anything else is float32.
    public let storedType: ScalarType
    /// The voxel size in nanometres recorded with an HDF5 image (`resolution_nm`), when present.
    public let resolutionNM: [Double]?
    private var file: HDF5File?
    private var dataset: String?
    private var memory: Volume<Float>?

    /// Opens `PATH`, `PATH:DATASET`, a TIFF stack or a PNG directory; a study file means its `/image`.
    ///
    /// - Parameter text: The volume reference as the user wrote it.
    /// - Throws: `IOError` naming the file (and dataset) when it is missing, not a 3-D volume or
    ///   of an unsupported type.
    public init(reference text: String) throws(IOError) {
        var ref = try VolumeReference.parse(text)
        if case .hdf5 = ref.kind, ref.dataset == nil {
            let f = try HDF5File(path: ref.path)
            guard f.isDataset("/image") else {
                throw IOError(.badReference, file: ref.path, "no /image dataset: name one as \(ref.path):/DATASET")
            }
            ref = try VolumeReference.parse(ref.path + ":/image")
        }
        reference = ref
        if case .hdf5 = ref.kind, let d = ref.dataset {
            let f = try HDF5File(path: ref.path)
            let info = try f.info(d)
            guard let scalar = info.scalarType else {
                throw IOError(.unsupportedType, file: ref.path, dataset: info.name, "unsupported dtype \(info.typeName)")
            }
            guard let s = VolumeReader.volumeShape(dims: info.dims) else {
                throw IOError(.badShape, file: ref.path, dataset: info.name,
                              "shape \(info.dims.map(String.init).joined(separator: "×")) is not a 3-D volume")
            }
            shape = s
            storedType = scalar == .uint8 ? .uint8 : .float32
            resolutionNM = f.attribute(d, "resolution_nm")?.doubleValues
            if info.dims.count == 3 { file = f; dataset = info.name }
            else { memory = try VolumeReader.readHDF5(f, d).asFloat() }
        } else {
            let v = try VolumeReader.read(ref)
            if case .uint8 = v { storedType = .uint8 } else { storedType = .float32 }
            resolutionNM = nil
            let m = v.asFloat()
            memory = m
            shape = m.shape
        }
    }

    /// Reads slices `z` (all of y and x).
    ///
    /// - Throws: `IOError` when the file cannot be read, `.badValues` for NaN or infinity (an image
    ///   holding them cannot be normalized or segmented).
    public func read(_ z: Range<Int>) throws(IOError) -> Volume<Float> {
        let v: Volume<Float>
        if let memory { v = memory.extract(Box3(z: z, y: 0..<shape.y, x: 0..<shape.x)) } else {
            guard let file, let dataset else { preconditionFailure("ImageSource read after close()") }
            v = try VolumeReader.readSlab(file, dataset, z: z)
        }
        if storedType != .uint8, let i = v.data.firstIndex(where: { !$0.isFinite }) {
            let s = v.shape
            throw IOError(.badValues, file: reference.path, dataset: reference.dataset,
                          "the image holds \(v.data[i].isNaN ? "NaN" : "infinity") at (z \(z.lowerBound + i / s.planeCount), "
                          + "y \((i / s.x) % s.y), x \(i % s.x)); images must be finite numbers")
        }
        return v
    }

    /// The whole image when it is already in memory (small inputs), else nil.
    public var inMemory: Volume<Float>? { memory }

    /// Slices per streaming read: about 64 MB of float.
    public var slabDepth: Int { max(1, min(shape.z, (64 << 20) / max(1, shape.y * shape.x * 4))) }

    /// Calls `body` with consecutive slabs of `slabDepth` slices covering the image.
    ///
    /// - Throws: `IOError` from reading, or what `body` throws.
    public func forEachSlab(_ body: (Range<Int>, Volume<Float>) throws -> Void) throws {
        var z = 0
        while z < shape.z {
            let n = min(slabDepth, shape.z - z)
            try body(z..<(z + n), try read(z..<(z + n)))
            z += n
        }
    }

    /// Closes the input file, so the output (possibly the same file) can be opened for writing.
    public func close() { file = nil; memory = nil }
}
