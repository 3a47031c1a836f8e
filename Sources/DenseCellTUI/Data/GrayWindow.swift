import DenseCellCore
import DenseCellIO

/// The intensities mapped onto 0…255 for display, and whether they are the whole image's
/// (as `export` computes them) or an estimate from a few slices that the first pass refines.
struct GrayWindow: Equatable {
    var lo: Float
    var hi: Float
    var exact: Bool

    /// Images up to this many voxels get their exact window when opened.
    static let exactVoxels = 32 << 20

    /// The first window: the whole image's when it is in memory or small (a few tens of
    /// megavoxels read in well under a second), else a few slices' (refined by the pass).
    static func opening(_ image: VolumeSource) throws(IOError) -> GrayWindow {
        if image.isInMemory || image.shape.count <= exactVoxels {
            let range = try image.displayRange()
            return GrayWindow(lo: range.lo, hi: range.hi, exact: true)
        }
        let shape = image.shape
        var samples: [Float] = []
        for z in Set([shape.z / 4, shape.z / 2, 3 * shape.z / 4]).sorted() {
            let plane = try image.readImage(image.slab(z..<(z + 1)))
            let stride = max(1, plane.data.count / 65536)
            samples += Swift.stride(from: 0, to: plane.data.count, by: stride).map { plane.data[$0] }
        }
        let range = Overlay.displayRange(samples: samples)
        return GrayWindow(lo: range.lo, hi: range.hi, exact: false)
    }
}

extension Plane {
    /// The image plane through the window, one byte per pixel (8-bit images through a table).
    func gray(through window: GrayWindow) -> Plane {
        let lo = window.lo, hi = window.hi
        var gray = Plane(height: height, width: width)
        if floats.isEmpty {
            let table = (0..<256).map { Overlay.gray(Float($0), lo: lo, hi: hi) }
            gray.bytes = bytes.map { table[Int($0)] }
        } else {
            gray.bytes = floats.map { Overlay.gray($0, lo: lo, hi: hi) }
        }
        return gray
    }
}
