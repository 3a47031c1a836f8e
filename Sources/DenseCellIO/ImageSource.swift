import DenseCellCore
import Foundation

/// An image opened for reading whole z-slabs as float, the way inference and the study writer
/// consume it: a `VolumeSource` (HDF5 hyperslabs, TIFF pages, PNG files — never the whole image)
/// with what `segment` needs beside it (see docs/ARCHITECTURE.md, "Volumes and files").
public final class ImageSource {
    /// The reference the image was opened from (a study file resolves to `STUDY.h5:/image`).
    public let reference: VolumeReference
    /// The image's (z, y, x) shape.
    public let shape: Shape3
    /// The element type a copy of this image is stored as: uint8 stays uint8, anything else is float32.
    public let storedType: ScalarType
    /// The voxel size in nanometres recorded with an HDF5 image (`resolution_nm`), when present.
    public let resolutionNM: [Double]?
    private var volume: VolumeSource?

    /// Opens `PATH`, `PATH:DATASET`, a TIFF stack or a PNG directory; a study file means its `/image`.
    ///
    /// - Parameter text: The volume reference as the user wrote it.
    /// - Throws: `IOError` naming the file (and dataset) when it is missing, not a 3-D volume or
    ///   of an unsupported type.
    public init(reference text: String) throws(IOError) {
        var ref = try VolumeReference.parse(text)
        var resolution: [Double]? = nil
        if case .hdf5 = ref.kind {
            let f = try HDF5File(path: ref.path)
            if ref.dataset == nil {
                guard f.isDataset("/image") else {
                    throw IOError(.badReference, file: ref.path, "no /image dataset: name one as \(ref.path):/DATASET")
                }
                ref = try VolumeReference.parse(ref.path + ":/image")
            }
            resolution = f.attribute(ref.dataset!, "resolution_nm")?.doubleValues
        }
        reference = ref
        let v = try VolumeReader.open(ref)
        volume = v
        shape = v.shape
        storedType = v.typeName == "uint8" ? .uint8 : .float32
        resolutionNM = resolution
    }

    /// Reads slices `z` (all of y and x).
    ///
    /// - Throws: `IOError` when the file cannot be read, `.badValues` for NaN or infinity (an image
    ///   holding them cannot be normalized or segmented).
    public func read(_ z: Range<Int>) throws(IOError) -> Volume<Float> {
        guard let volume else { preconditionFailure("ImageSource read after close()") }
        return try volume.readImage(volume.slab(z))
    }

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
    public func close() { volume = nil }
}
