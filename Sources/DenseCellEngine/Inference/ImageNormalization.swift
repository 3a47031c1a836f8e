import DenseCellCore
import DenseCellIO

extension InputNormalization {
    /// Mean and std of a whole opened image, in one streaming pass of `ImageSource.slabDepth` slices.
    ///
    /// - Throws: `IOError` when the image cannot be read.
    public static func of(_ source: ImageSource) throws -> InputNormalization {
        var acc = Accumulator()
        try source.forEachSlab { _, slab in acc.add(slab.data) }
        return acc.result
    }

    /// Mean and std of an opened image volume, in one streaming pass of about 64 MB slabs.
    ///
    /// - Throws: `IOError` when the image cannot be read, `CancelledError` once `cancel` is set.
    public static func of(_ source: VolumeSource, cancel: CancelToken? = nil) throws -> InputNormalization {
        var acc = Accumulator()
        try source.forEachSlab(depth: max(1, (64 << 20) / max(1, 4 * source.shape.planeCount))) { z in
            try cancel?.throwIfCancelled()
            acc.add(try source.readImage(source.slab(z)).data)
        }
        return acc.result
    }
}
