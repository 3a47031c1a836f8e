import DenseCellCore
import Foundation

/// The paper's elastic deformation: a coarse grid of i.i.d. N(0, σ) displacement vectors,
/// bilinearly up-sampled to the xy plane, applied to every z-slice of image and labels.
struct ElasticDeformation: Sendable {
    /// Displacement per pixel, (dy, dx) interleaved, row-major over (height, width).
    var field: [Float]
    var height: Int, width: Int

    /// `grid` control points per axis (paper: 20×20), `sigma` in pixels.
    init(height: Int, width: Int, grid: Int = 20, sigma: Double, using rng: inout some RandomNumberGenerator) {
        self.height = height; self.width = width
        var normal = NormalSampler()
        var coarse = [Float](repeating: 0, count: grid * grid * 2)
        for i in coarse.indices { coarse[i] = Float(normal.next(using: &rng) * sigma) }
        field = [Float](repeating: 0, count: height * width * 2)
        // Control points span the plane corner to corner.
        let gy = Float(grid - 1) / Float(max(1, height - 1)), gx = Float(grid - 1) / Float(max(1, width - 1))
        for y in 0..<height {
            let fy = Float(y) * gy
            let y0 = min(Int(fy), grid - 2), ty = fy - Float(y0)
            for x in 0..<width {
                let fx = Float(x) * gx
                let x0 = min(Int(fx), grid - 2), tx = fx - Float(x0)
                for c in 0..<2 {
                    func g(_ yy: Int, _ xx: Int) -> Float { coarse[(yy * grid + xx) * 2 + c] }
                    let top = g(y0, x0) * (1 - tx) + g(y0, x0 + 1) * tx
                    let bottom = g(y0 + 1, x0) * (1 - tx) + g(y0 + 1, x0 + 1) * tx
                    field[(y * width + x) * 2 + c] = top * (1 - ty) + bottom * ty
                }
            }
        }
    }

    /// Output(y, x) = input(y + dy, x + dx): bilinear for images, nearest for labels,
    /// reflected at the edges.
    func apply(image: Volume<Float>) -> Volume<Float> {
        precondition(image.shape.y == height && image.shape.x == width)
        var out = image
        for z in 0..<image.shape.z {
            let base = z * height * width
            for y in 0..<height {
                for x in 0..<width {
                    let i = y * width + x
                    let sy = Float(y) + field[2 * i], sx = Float(x) + field[2 * i + 1]
                    let y0 = Int(sy.rounded(.down)), x0 = Int(sx.rounded(.down))
                    let ty = sy - Float(y0), tx = sx - Float(x0)
                    func p(_ yy: Int, _ xx: Int) -> Float {
                        image.data[base + BoundaryMode.symmetric.index(yy, count: height) * width + BoundaryMode.symmetric.index(xx, count: width)]
                    }
                    out.data[base + i] = (p(y0, x0) * (1 - tx) + p(y0, x0 + 1) * tx) * (1 - ty)
                        + (p(y0 + 1, x0) * (1 - tx) + p(y0 + 1, x0 + 1) * tx) * ty
                }
            }
        }
        return out
    }

    func apply<T>(labels: Volume<T>) -> Volume<T> {
        precondition(labels.shape.y == height && labels.shape.x == width)
        var out = labels
        for z in 0..<labels.shape.z {
            let base = z * height * width
            for y in 0..<height {
                for x in 0..<width {
                    let i = y * width + x
                    let sy = Int((Float(y) + field[2 * i]).rounded()), sx = Int((Float(x) + field[2 * i + 1]).rounded())
                    out.data[base + i] = labels.data[base + BoundaryMode.symmetric.index(sy, count: height) * width + BoundaryMode.symmetric.index(sx, count: width)]
                }
            }
        }
        return out
    }

    /// True when the mapping keeps pixel order (no folds): the Jacobian determinant of
    /// (y + dy, x + dx) is positive everywhere.
    var isFoldFree: Bool {
        for y in 0..<(height - 1) {
            for x in 0..<(width - 1) {
                let i = y * width + x
                let dyy = 1 + field[2 * (i + width)] - field[2 * i]
                let dxx = 1 + field[2 * (i + 1) + 1] - field[2 * i + 1]
                let dyx = field[2 * (i + 1)] - field[2 * i]
                let dxy = field[2 * (i + width) + 1] - field[2 * i + 1]
                if dyy * dxx - dyx * dxy <= 0 { return false }
            }
        }
        return true
    }
}

/// Per-window random reflections and intensity changes (paper: brightness ±12 %, contrast ±20 %).
struct WindowAugmentation: Sendable, Equatable {
    var flipZ = false, flipY = false, flipX = false
    var brightness: Float = 0   // added, as a fraction of the image's std (inputs are normalized)
    var contrast: Float = 1     // multiplied

    init() {}

    static func random(using rng: inout some RandomNumberGenerator, brightness: Float = 0.12, contrast: Float = 0.20) -> WindowAugmentation {
        var a = WindowAugmentation()
        a.flipZ = Bool.random(using: &rng); a.flipY = Bool.random(using: &rng); a.flipX = Bool.random(using: &rng)
        a.brightness = Float.random(in: -brightness...brightness, using: &rng)
        a.contrast = 1 + Float.random(in: -contrast...contrast, using: &rng)
        return a
    }

    func flip<T>(_ v: Volume<T>) -> Volume<T> {
        guard flipZ || flipY || flipX else { return v }
        let s = v.shape
        var out = v
        for z in 0..<s.z { for y in 0..<s.y { for x in 0..<s.x {
            out[z, y, x] = v[flipZ ? s.z - 1 - z : z, flipY ? s.y - 1 - y : y, flipX ? s.x - 1 - x : x]
        } } }
        return out
    }

    /// Applies flips and the intensity change to a normalized image window (mean 0, std 1).
    func apply(image: Volume<Float>) -> Volume<Float> {
        var out = flip(image)
        for i in out.data.indices { out.data[i] = out.data[i] * contrast + brightness }
        return out
    }
}
