import Foundation

/// Standard normal samples by the Box–Muller transform, the project's one normal sampler.
///
/// `next(using:)` draws from any generator in double precision and keeps the second value of
/// each pair, so a seeded generator gives the same sequence everywhere (training's augmentation).
/// `boxMuller(_:_:)` is the single-precision transform of two given uniforms, for callers that
/// make their uniforms themselves (the phantom's seeded streams and per-voxel hashes).
public struct NormalSampler {
    var spare: Double?

    /// A sampler with no value held back.
    public init() {}

    /// The next standard normal value.
    /// - Parameter rng: the generator the uniforms are drawn from (two per pair of values).
    /// - Returns: a sample of N(0, 1).
    public mutating func next(using rng: inout some RandomNumberGenerator) -> Double {
        if let s = spare { spare = nil; return s }
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &rng)
        let u2 = Double.random(in: 0..<1, using: &rng)
        let r = (-2 * log(u1)).squareRoot()
        spare = r * sin(2 * .pi * u2)
        return r * cos(2 * .pi * u2)
    }

    /// Two independent standard normals from two uniforms, in single precision.
    /// - Parameters:
    ///   - u1: uniform in (0, 1]; callers keep it away from zero.
    ///   - u2: uniform in [0, 1).
    /// - Returns: the cosine and the sine branch of the transform.
    @inlinable static func boxMuller(_ u1: Float, _ u2: Float) -> (Float, Float) {
        let r = (-2 * logf(u1)).squareRoot()
        return (r * cosf(2 * .pi * u2), r * sinf(2 * .pi * u2))
    }
}
