import DenseCellCore
import DenseCellIO

extension InputNormalization {
    /// Mean and std of an opened image volume, in one streaming slab pass.
    ///
    /// - Throws: `IOError` when the image cannot be read, `CancelledError` once `cancel` is set.
    public static func of(_ source: VolumeSource, cancel: CancelToken? = nil) throws -> InputNormalization {
        var acc = Accumulator()
        let finished = try SlabPass([(source, .image)], cancel: cancel).run { slab in acc.add(slab.image(source).data) }
        if !finished { throw CancelledError() }
        return acc.result
    }
}
