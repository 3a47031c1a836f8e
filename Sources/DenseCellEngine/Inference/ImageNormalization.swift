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
}
