import Foundation

/// Turns the shade volume into an SBF-SEM-like image: membranes at cell borders, the
/// microscope's blur, Poisson–Gaussian noise and slow slice-to-slice brightness drift.
enum PhantomImaging {
    /// Darkens plasma membranes: cell voxels (not channel lumen) whose in-plane neighbour belongs
    /// to another cell, to resin or to a channel lumen; a weaker darkening where the neighbour above or below
    /// differs, as a membrane cut at a grazing angle looks in a slice.
    /// Planes `planes` are changed; `cellID` must also hold the planes just outside them.
    static func membranes(shape s: Shape3, planes: Range<Int>, labels: UnsafePointer<UInt8>, cellID: UnsafePointer<UInt16>,
                          shade: UnsafeMutablePointer<Float>, planeDone: () -> Void) {
        let plane = s.planeCount
        Parallel.forEach(slabsOf: planes) { slab in
            for z in slab {
                for y in 0..<s.y {
                    for x in 0..<s.x {
                        let i = (z * s.y + y) * s.x + x
                        let c = cellID[i]
                        guard c != 0, labels[i] != 3 else { continue }
                        let edge = (x > 0 && cellID[i - 1] != c) || (x + 1 < s.x && cellID[i + 1] != c)
                            || (y > 0 && cellID[i - s.x] != c) || (y + 1 < s.y && cellID[i + s.x] != c)
                        // The channel's own membrane lines the lumen from the cytoplasm side.
                        let channelSide = (x > 0 && labels[i - 1] == 3) || (x + 1 < s.x && labels[i + 1] == 3)
                            || (y > 0 && labels[i - s.x] == 3) || (y + 1 < s.y && labels[i + s.x] == 3)
                        if edge || channelSide { shade[i] = PhantomShade.membrane; continue }
                        let grazing = (z > 0 && cellID[i - plane] != c) || (z + 1 < s.z && cellID[i + plane] != c)
                        if grazing { shade[i] = 0.5 * shade[i] + 0.5 * 100 }
                    }
                }
                planeDone()
            }
        }
    }

    /// Gaussian point-spread function in y and x (σ in pixels), slice by slice, in place.
    static func blurXY(shape s: Shape3, planes: Range<Int>, _ v: UnsafeMutablePointer<Float>, sigma: Float, planeDone: () -> Void) {
        let radius = max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { expf(-Float($0 * $0) / (2 * sigma * sigma)) }
        let sum = kernel.reduce(0, +)
        kernel = kernel.map { $0 / sum }
        let k = kernel
        Parallel.forEach(slabsOf: planes) { slab in
            let tmp = UnsafeMutablePointer<Float>.allocate(capacity: s.planeCount)
            defer { tmp.deallocate() }
            k.withUnsafeBufferPointer { kb in
                for z in slab {
                    GaussianBlur.blurPlane(v + z * s.planeCount, height: s.y, width: s.x, kernel: kb, boundary: .clamp, scratch: tmp)
                    planeDone()
                }
            }
        }
    }

    /// The microscope's slow drift over a whole acquisition: per-slice gain and offset, and the
    /// illumination tilt. Drawn once for every slice, so any slab of the volume sees the same drift.
    struct Drift: Sendable {
        var gains: [Float] = [], offsets: [Float] = []
        var tiltY: Float = 0, tiltX: Float = 0
        var seed: UInt64

        init(shape s: Shape3, seed: UInt64) {
            self.seed = seed
            // Slow drift: a sinusoid plus a random walk of the slice gain and offset.
            var rng = SplitMix64.stream(seed, 7)
            let period = rng.uniform(25, 45), phase = rng.uniform(0, 2 * .pi)
            var walk: Float = 0, walkOffset: Float = 0
            for z in 0..<s.z {
                walk = 0.9 * walk + 0.008 * rng.normal()
                walkOffset = 0.85 * walkOffset + 1.2 * rng.normal()
                gains.append(1 + 0.04 * sinf(2 * .pi * Float(z) / period + phase) + walk)
                offsets.append(walkOffset)
            }
            tiltY = rng.uniform(-0.04, 0.04); tiltX = rng.uniform(-0.04, 0.04)
        }
    }

    /// Mixes neighbouring slices (the beam's interaction depth), applies brightness drift and
    /// illumination falloff, adds shot and read noise and quantizes to 0…255. Writes planes
    /// `planes` of `out`; `blurred` must also hold the planes just outside them.
    static func acquire(shape s: Shape3, planes: Range<Int>, blurred: UnsafePointer<Float>, drift: Drift,
                        out: UnsafeMutablePointer<Float>, planeDone: () -> Void) {
        let gains = drift.gains, offsets = drift.offsets, tiltY = drift.tiltY, tiltX = drift.tiltX, seed = drift.seed
        let plane = s.planeCount
        let shotGain: Float = 0.4, readNoise: Float = 4
        Parallel.forEach(slabsOf: planes) { slab in
            for z in slab {
                let below = z > 0 ? z - 1 : z, above = z + 1 < s.z ? z + 1 : z
                for y in 0..<s.y {
                    let illumY = tiltY * (Float(y) / Float(max(1, s.y - 1)) - 0.5)
                    for x in 0..<s.x {
                        let j = y * s.x + x
                        let i = z * plane + j
                        let mixed = 0.7 * blurred[i] + 0.15 * blurred[below * plane + j] + 0.15 * blurred[above * plane + j]
                        let illum = 1 + illumY + tiltX * (Float(x) / Float(max(1, s.x - 1)) - 0.5)
                        let mean = max(0, mixed * gains[z] * illum + offsets[z])
                        let (n1, n2) = VoxelHash.normals(seed ^ 0x5EED, i)
                        let value = mean + (shotGain * mean).squareRoot() * n1 + readNoise * n2
                        out[i] = min(255, max(0, value.rounded()))
                    }
                }
                planeDone()
            }
        }
    }
}
