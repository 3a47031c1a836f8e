import Foundation

/// Separable Gaussian filtering of 2-D planes along x, then y.
public enum GaussianBlur {
    /// A normalized Gaussian kernel truncated as scipy.ndimage does: radius `Int(truncate·σ + 0.5)`,
    /// weights computed in double precision.
    /// - Parameters:
    ///   - sigma: standard deviation in samples, greater than zero.
    ///   - truncate: the radius in standard deviations.
    /// - Returns: `2·radius + 1` weights that sum to one.
    public static func kernel(sigma: Double, truncate: Double = 4) -> [Float] {
        let radius = Int(truncate * sigma + 0.5)
        var k = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let s = k.reduce(0, +)
        k = k.map { $0 / s }
        return k.map { Float($0) }
    }

    /// Blurs one row-major plane in place with a symmetric kernel.
    /// - Parameters:
    ///   - plane: `height × width` values, overwritten with the result.
    ///   - height: rows of the plane.
    ///   - width: columns of the plane.
    ///   - kernel: an odd number of weights, centred.
    ///   - boundary: how samples beyond the edges are taken.
    ///   - scratch: room for `height × width` values, clobbered.
    static func blurPlane(_ plane: UnsafeMutablePointer<Float>, height: Int, width: Int,
                          kernel: UnsafeBufferPointer<Float>, boundary: BoundaryMode,
                          scratch: UnsafeMutablePointer<Float>) {
        let r = kernel.count / 2
        for y in 0..<height {
            let row = y * width
            for x in 0..<width {
                var acc: Float = 0
                for j in -r...r { acc += kernel[j + r] * plane[row + boundary.index(x + j, count: width)] }
                scratch[row + x] = acc
            }
        }
        for y in 0..<height {
            for x in 0..<width {
                var acc: Float = 0
                for j in -r...r { acc += kernel[j + r] * scratch[boundary.index(y + j, count: height) * width + x] }
                plane[y * width + x] = acc
            }
        }
    }

    /// A blurred copy of a row-major plane, edges handled as scipy.ndimage.gaussian_filter's
    /// default (`.symmetric`, truncated at 4σ).
    /// - Parameters:
    ///   - image: `height × width` values.
    ///   - height: rows of the plane.
    ///   - width: columns of the plane.
    ///   - sigma: standard deviation in pixels.
    ///   - boundary: how samples beyond the edges are taken.
    /// - Returns: the blurred plane.
    public static func blur2D(_ image: [Float], height: Int, width: Int, sigma: Double,
                              boundary: BoundaryMode = .symmetric) -> [Float] {
        precondition(image.count == height * width)
        let k = kernel(sigma: sigma)
        var out = image
        var scratch = [Float](repeating: 0, count: image.count)
        k.withUnsafeBufferPointer { kb in
            out.withUnsafeMutableBufferPointer { o in
                scratch.withUnsafeMutableBufferPointer { s in
                    blurPlane(o.baseAddress!, height: height, width: width, kernel: kb, boundary: boundary, scratch: s.baseAddress!)
                }
            }
        }
        return out
    }
}
