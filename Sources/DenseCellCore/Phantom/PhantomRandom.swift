import Foundation

/// SplitMix64: a small, fast generator with the same output on every platform, so a phantom
/// seed means the same study everywhere (Swift's system generator is neither seedable nor stable).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The whole state: a generator made with `init(seed: state)` continues the same sequence.
    public private(set) var state: UInt64
    /// - Parameter seed: the initial state (any value).
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The SplitMix64 finalizer: a strong bijective scramble of 64 bits.
    @inlinable public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A generator for a named sub-stream, so adding draws to one part of the phantom does not
    /// change the others.
    public static func stream(_ seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) -> SplitMix64 {
        SplitMix64(seed: mix(seed ^ mix(a &+ 0x632B_E59B_D9B4_E019) ^ mix(b &+ 0x2545_F491_4F6C_DD1D)))
    }

    /// Uniform in [0, 1) with 24 bits, as Float.
    public mutating func unit() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }
    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * unit() }
    /// Uniform integer in lo...hi.
    public mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(next() % UInt64(hi - lo + 1)) }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(unit(), 1e-7), u2 = unit()
        return NormalSampler.boxMuller(u1, u2).0
    }
    /// A random direction.
    mutating func direction() -> PhantomVector {
        while true {
            let v = PhantomVector(uniform(-1, 1), uniform(-1, 1), uniform(-1, 1))
            let n = v.length
            if n > 0.05 && n <= 1 { return v / n }
        }
    }
}

/// Stateless per-voxel randomness: the same value for the same (seed, index) on any thread.
enum VoxelHash {
    @inline(__always) static func unit(_ seed: UInt64, _ index: Int) -> Float {
        Float(SplitMix64.mix(seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15) >> 40) * (1.0 / 16_777_216.0)
    }
    /// Two independent standard normals (Box–Muller on two hashed uniforms).
    @inline(__always) static func normals(_ seed: UInt64, _ index: Int) -> (Float, Float) {
        let h = SplitMix64.mix(seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
        let u1 = max(Float(h >> 40) * (1.0 / 16_777_216.0), 1e-7)
        let u2 = Float((h >> 8) & 0xFF_FFFF) * (1.0 / 16_777_216.0)
        return NormalSampler.boxMuller(u1, u2)
    }
}

/// A 3-vector in (z, y, x) order, in nanometres unless said otherwise. A plain struct rather
/// than SIMD3 keeps unoptimized (debug and test) builds fast.
struct PhantomVector: Sendable {
    var z: Float, y: Float, x: Float
    @inline(__always) init(_ z: Float, _ y: Float, _ x: Float) { self.z = z; self.y = y; self.x = x }
    static let zero = PhantomVector(0, 0, 0)
    @inline(__always) static func + (a: PhantomVector, b: PhantomVector) -> PhantomVector { PhantomVector(a.z + b.z, a.y + b.y, a.x + b.x) }
    @inline(__always) static func - (a: PhantomVector, b: PhantomVector) -> PhantomVector { PhantomVector(a.z - b.z, a.y - b.y, a.x - b.x) }
    @inline(__always) static func * (a: PhantomVector, s: Float) -> PhantomVector { PhantomVector(a.z * s, a.y * s, a.x * s) }
    @inline(__always) static func / (a: PhantomVector, s: Float) -> PhantomVector { PhantomVector(a.z / s, a.y / s, a.x / s) }
    @inline(__always) func dot(_ b: PhantomVector) -> Float { z * b.z + y * b.y + x * b.x }
    @inline(__always) func cross(_ b: PhantomVector) -> PhantomVector { PhantomVector(y * b.x - x * b.y, x * b.z - z * b.x, z * b.y - y * b.z) }
    var length: Float { dot(self).squareRoot() }
    var normalized: PhantomVector { self / max(length, 1e-12) }
}

/// An orthonormal frame: `u`, `v`, `w` are the object's local axes expressed in world (z, y, x).
struct PhantomFrame: Sendable {
    var u: PhantomVector, v: PhantomVector, w: PhantomVector
    /// World offset → local coordinates.
    @inline(__always) func local(_ d: PhantomVector) -> PhantomVector { PhantomVector(u.dot(d), v.dot(d), w.dot(d)) }
    /// Local coordinates → world offset.
    @inline(__always) func world(_ l: PhantomVector) -> PhantomVector { u * l.z + v * l.y + w * l.x }

    /// A frame whose `u` axis is `axis` and whose other axes are turned by `spin` about it.
    static func aligned(_ axis: PhantomVector, spin: Float) -> PhantomFrame {
        let u = axis.normalized
        let helper = abs(u.z) < 0.9 ? PhantomVector(1, 0, 0) : PhantomVector(0, 1, 0)
        let a = u.cross(helper).normalized
        let b = u.cross(a)
        let v = a * cosf(spin) + b * sinf(spin)
        return PhantomFrame(u: u, v: v, w: u.cross(v))
    }

    static func random(_ rng: inout SplitMix64) -> PhantomFrame {
        aligned(rng.direction(), spin: rng.uniform(0, 2 * .pi))
    }

    /// Half-extents along world z, y, x of an ellipsoid with these local semi-axes.
    func extent(_ semi: PhantomVector) -> PhantomVector {
        func along(_ i: KeyPath<PhantomVector, Float>) -> Float {
            let a = u[keyPath: i] * semi.z, b = v[keyPath: i] * semi.y, c = w[keyPath: i] * semi.x
            return (a * a + b * b + c * c).squareRoot()
        }
        return PhantomVector(along(\.z), along(\.y), along(\.x))
    }
}
