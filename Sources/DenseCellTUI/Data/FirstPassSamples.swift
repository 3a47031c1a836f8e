import DenseCellCore
import DenseCellEngine

/// What the first time through the image gathers besides counts: `export`'s sample of the gray
/// window and the mean and deviation the ensemble normalizes with.
///
/// No lock: it is added to on the pass's thread before the pass records the slab as seen (under
/// the pass's lock), and read on the key thread only once the pass reports every slice seen (under
/// the same lock), which orders the two.
final class FirstPassSamples: @unchecked Sendable {
    private var window: Overlay.WindowSampler
    private var normalization = InputNormalization.Accumulator()
    private let planeCount: Int
    private let width: Int

    init(shape: Shape3) {
        window = Overlay.WindowSampler(count: shape.count)
        planeCount = shape.planeCount
        width = shape.x
    }

    /// Adds one tile of the image (a sparse store is seen tile by tile): `image` holds its voxels,
    /// or nil with `fill` when nothing of it was written (on the pass's thread).
    func add(tile box: Box3, image: Volume<Float>?, fill: Float) {
        var row = 0
        for z in box.z {
            for y in box.y {
                let first = z * planeCount + y * width + box.x.lowerBound
                if let image {
                    window.add(Array(image.data[(row * box.x.count)..<((row + 1) * box.x.count)]), first: first)
                } else {
                    window.add(fill, first: first, count: box.x.count)
                }
                row += 1
            }
        }
        if let image { normalization.add(image.data) } else { normalization.add(fill, count: box.shape.count) }
    }

    /// Adds the image slab of slices `z` (on the pass's thread).
    func add(_ image: Volume<Float>, z: Range<Int>) {
        window.add(image.data, first: z.lowerBound * planeCount)
        normalization.add(image.data)
    }

    /// The whole image's window and normalization, once every slice was added; the samples are
    /// let go.
    func finish() -> (window: (lo: Float, hi: Float), normalization: InputNormalization) {
        let result = (window.range, normalization.result)
        window = Overlay.WindowSampler(count: 0)
        return result
    }
}
