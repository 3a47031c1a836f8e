import Foundation

/// Smooth value noise on a periodic lattice, sampled anywhere by smoothstep-weighted trilinear
/// interpolation. The lattice is small and computed once; sampling costs eight lookups, so
/// textures and deformations need no per-voxel random draws.
struct NoiseField: Sendable {
    let n: Int
    let values: [Float]   // n³ values in [-1, 1]

    init(size: Int, seed: UInt64) {
        n = size
        var rng = SplitMix64(seed: seed)
        values = (0..<(size * size * size)).map { _ in rng.uniform(-1, 1) }
    }

    /// Noise at lattice coordinates (any real values; the lattice repeats every `n`).
    @inline(__always) func sample(_ z: Float, _ y: Float, _ x: Float) -> Float {
        let fz = z.rounded(.down), fy = y.rounded(.down), fx = x.rounded(.down)
        let tz = z - fz, ty = y - fy, tx = x - fx
        let wz = tz * tz * (3 - 2 * tz), wy = ty * ty * (3 - 2 * ty), wx = tx * tx * (3 - 2 * tx)
        let m = n
        func wrap(_ f: Float) -> Int { let i = Int(f) % m; return i < 0 ? i + m : i }
        let z0 = wrap(fz), y0 = wrap(fy), x0 = wrap(fx)
        let z1 = z0 + 1 == m ? 0 : z0 + 1, y1 = y0 + 1 == m ? 0 : y0 + 1, x1 = x0 + 1 == m ? 0 : x0 + 1
        return values.withUnsafeBufferPointer { v in
            @inline(__always) func at(_ a: Int, _ b: Int, _ c: Int) -> Float { v[(a * m + b) * m + c] }
            let c00 = at(z0, y0, x0) + (at(z0, y0, x1) - at(z0, y0, x0)) * wx
            let c01 = at(z0, y1, x0) + (at(z0, y1, x1) - at(z0, y1, x0)) * wx
            let c10 = at(z1, y0, x0) + (at(z1, y0, x1) - at(z1, y0, x0)) * wx
            let c11 = at(z1, y1, x0) + (at(z1, y1, x1) - at(z1, y1, x0)) * wx
            let c0 = c00 + (c01 - c00) * wy, c1 = c10 + (c11 - c10) * wy
            return c0 + (c1 - c0) * wz
        }
    }

    /// Noise at a point in nanometres, with lattice nodes `spacing` nm apart.
    @inline(__always) func sample(_ p: PhantomVector, spacing: Float) -> Float {
        sample(p.z / spacing, p.y / spacing, p.x / spacing)
    }
}
