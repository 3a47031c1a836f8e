import DenseCellCore
import DenseCellIO

extension InputNormalization {
    /// Mean and std of a whole opened image, in one streaming pass of `ImageSource.slabDepth`
    /// slices (images already in memory are summed at once; the result is the same).
    ///
    /// - Throws: `IOError` when the image cannot be read.
    public static func of(_ source: ImageSource) throws -> InputNormalization {
        if let memory = source.inMemory { return .of(memory) }
        var acc = Accumulator()
        try source.forEachSlab { _, slab in acc.add(slab.data) }
        return acc.result
    }
}
