import Foundation

/// How one annotator's drawing departs from the geometry (docs/ARCHITECTURE.md, "Phantom"). The identity
/// perturbation rasterizes the truth.
struct PhantomPerturbation: Sendable {
    var cellGrow: [Float]                               // nm, by cell index
    var blobKind: [PhantomGeometry.BlobKind?]           // nil: the organelle was missed (left as cell)
    var blobGrow: [Float]                               // nm, by blob
    var blobShift: [PhantomVector]                                 // nm, by blob
    var innerGrow: [Float]                              // nm, dense core boundary, by blob
    var groupKept: [Bool]                               // channel capsule groups drawn at all
    var groupGrow: [Float]                              // nm, by channel group
    var sliceJitter: Float                              // nm amplitude of independent per-slice boundary error
    var seed: UInt64

    static func identity(_ g: PhantomGeometry) -> PhantomPerturbation {
        PhantomPerturbation(cellGrow: [Float](repeating: 0, count: g.cells.count), blobKind: g.blobs.map(\.kind),
                            blobGrow: [Float](repeating: 0, count: g.blobs.count),
                            blobShift: [PhantomVector](repeating: .zero, count: g.blobs.count),
                            innerGrow: [Float](repeating: 0, count: g.blobs.count),
                            groupKept: [Bool](repeating: true, count: g.tubeGroups),
                            groupGrow: [Float](repeating: 0, count: g.tubeGroups), sliceJitter: 0, seed: 0)
    }

    /// Boundary offset of object `key` on slice `z`: annotators draw slice by slice, so each
    /// slice's outline wanders independently by up to `sliceJitter`.
    @inline(__always) func jitter(_ key: Int, _ z: Int) -> Float {
        guard sliceJitter > 0 else { return 0 }
        return sliceJitter * (2 * VoxelHash.unit(seed, key &* 4099 &+ z) - 1)
    }
}

/// Shared noise lattices of one phantom.
struct PhantomNoise: Sendable {
    let deform: NoiseField
    let texture: NoiseField
    let fine: NoiseField
    init(seed: UInt64) {
        deform = NoiseField(size: 16, seed: SplitMix64.mix(seed ^ 0xD1))
        texture = NoiseField(size: 32, seed: SplitMix64.mix(seed ^ 0xD2))
        fine = NoiseField(size: 32, seed: SplitMix64.mix(seed ^ 0xD3))
    }
}

/// Intensities (0–255 before blur and noise) of backscatter SBF-SEM: bright resin, grey
/// cytoplasm, dark membranes, dark mitochondria with cristae, mid-grey alpha granules, dense
/// granules with a pale halo and a near-black core, pale channel lumen with a dark rim.
enum PhantomShade {
    static let resin: Float = 208
    static let cytoplasm: Float = 160
    static let membrane: Float = 60
    static let marginalBand: Float = 132
    static let mitoMatrix: Float = 80
    static let mitoCrista: Float = 132
    static let mitoRim: Float = 58
    static let alphaMatrix: Float = 118
    static let alphaRim: Float = 92
    static let alphaNucleoid: Float = 84
    static let denseHalo: Float = 196
    static let denseRim: Float = 110
    static let denseCore: Float = 18
    static let channelLumen: Float = 204
    static let channelRim: Float = 72
    static let tubule: Float = 88
}

/// Draws the geometry into label, cell-id and (for the truth) shade volumes, slab by slab.
enum PhantomRaster {
    /// Rasterizes labels (and shading when `shade` is given) of the z-planes `planes` with one
    /// perturbation. `cellID` receives the owning cell of every voxel (0 = resin). The buffers are
    /// addressed by whole-volume voxel index and need only hold `planes` (see `PhantomWindow`).
    static func draw(_ g: PhantomGeometry, _ pert: PhantomPerturbation, noise: PhantomNoise, planes: Range<Int>,
                     labels: UnsafeMutablePointer<UInt8>, cellID: UnsafeMutablePointer<UInt16>,
                     shade: UnsafeMutablePointer<Float>?, planeDone: () -> Void) {
        let s = g.shape
        let plane = s.planeCount
        let bestStorage = UnsafeMutablePointer<Float>.allocate(capacity: max(1, planes.count * plane))
        defer { bestStorage.deallocate() }
        let best = bestStorage - planes.lowerBound * plane
        Parallel.forEach(slabsOf: planes) { slab in
            for z in slab {
                let base = z * plane
                for i in 0..<plane { labels[base + i] = 0; cellID[base + i] = 0; best[base + i] = .infinity }
                if let shade { for i in 0..<plane { shade[base + i] = PhantomShade.resin } }
                for cell in g.cells where cell.box.z.contains(z) {
                    drawCell(g, cell, z: z, pert: pert, noise: noise, labels: labels, cellID: cellID, best: best, shade: shade)
                }
                for blob in g.blobs where blob.box.z.contains(z) {
                    guard let kind = pert.blobKind[blob.index] else { continue }
                    drawBlob(g, blob, kind: kind, z: z, pert: pert, noise: noise, labels: labels, cellID: cellID, shade: shade)
                }
                for tube in g.tubes where tube.box.z.contains(z) && pert.groupKept[tube.group] {
                    drawTube(g, tube, z: z, pert: pert, labels: labels, cellID: cellID, shade: shade)
                }
                if let shade {
                    for tubule in g.tubules where tubule.box.z.contains(z) {
                        drawTubule(g, tubule, z: z, labels: labels, cellID: cellID, shade: shade)
                    }
                }
                planeDone()
            }
        }
    }

    static func drawCell(_ g: PhantomGeometry, _ cell: PhantomGeometry.Cell, z: Int, pert: PhantomPerturbation,
                         noise: PhantomNoise, labels: UnsafeMutablePointer<UInt8>, cellID: UnsafeMutablePointer<UInt16>,
                         best: UnsafeMutablePointer<Float>, shade: UnsafeMutablePointer<Float>?) {
        let res = g.resolution
        let q = PhantomGeometry.discExponent, amp = PhantomGeometry.deformAmplitude
        let (a, b, h) = (cell.radii.z, cell.radii.y, cell.radii.x)
        let grow = pert.cellGrow[Int(cell.id) - 1] + pert.jitter(Int(cell.id), z)
        for y in cell.box.y {
            let row = (z * g.shape.y + y) * g.shape.x
            for x in cell.box.x {
                let p = PhantomVector(Float(z) * res.z, Float(y) * res.y, Float(x) * res.x)
                let l = cell.frame.local(p - cell.center)
                let su = l.z / a, sv = l.y / b, sw = l.x / h
                let s = su * su + sv * sv
                if s > 2.2 || sw * sw > 2.2 { continue }
                let sq = powf(max(s, 1e-12), q - 1)
                let f = sq * s + sw * sw
                let n = noise.deform.sample(p + cell.deformOffset, spacing: PhantomGeometry.deformSpacing)
                let fEff = f - amp * n
                let gu = 2 * q * sq * l.z / (a * a), gv = 2 * q * sq * l.y / (b * b), gw = 2 * l.x / (h * h)
                let grad = max((gu * gu + gv * gv + gw * gw).squareRoot(), 1e-9)
                let d = (fEff - 1) / grad
                guard d < grow else { continue }
                let i = row + x
                if cellID[i] != 0 && best[i] <= d { continue }
                cellID[i] = cell.id
                best[i] = d
                labels[i] = 1
                if let shade {
                    var v = PhantomShade.cytoplasm + 9 * noise.texture.sample(p + cell.deformOffset, spacing: 110)
                    // The marginal band of microtubules just inside the rim, near the disc's equator.
                    if d > -150 && d < -55 && abs(l.x) < 0.5 * h { v = PhantomShade.marginalBand + 6 * noise.fine.sample(p, spacing: 30) }
                    // Glycogen particles: sparse dark dots.
                    if VoxelHash.unit(0xC0FFEE, i) < 0.012 { v -= 42 }
                    shade[i] = v
                }
            }
        }
    }

    static func drawBlob(_ g: PhantomGeometry, _ blob: PhantomGeometry.Blob, kind: PhantomGeometry.BlobKind, z: Int,
                         pert: PhantomPerturbation, noise: PhantomNoise, labels: UnsafeMutablePointer<UInt8>,
                         cellID: UnsafeMutablePointer<UInt16>, shade: UnsafeMutablePointer<Float>?) {
        let res = g.resolution
        let center = blob.center + pert.blobShift[blob.index]
        let inner = blob.inner + pert.blobShift[blob.index]
        let grow = pert.blobGrow[blob.index] + pert.jitter(100_000 + blob.index, z)
        let innerGrow = pert.innerGrow[blob.index] + 0.5 * pert.jitter(200_000 + blob.index, z)
        let inv = PhantomVector(1 / blob.semi.z, 1 / blob.semi.y, 1 / blob.semi.x)
        let label: UInt8
        switch kind { case .mitochondrion: label = 2; case .alphaGranule: label = 4; case .denseGranule: label = 5 }
        // A granule drawn as another kind keeps its own core only when it is drawn as dense.
        let hasCore = kind == .denseGranule && blob.kind == .denseGranule
        for y in blob.box.y {
            let row = (z * g.shape.y + y) * g.shape.x
            for x in blob.box.x {
                let i = row + x
                guard cellID[i] == blob.cell && labels[i] == 1 else { continue }
                let p = PhantomVector(Float(z) * res.z, Float(y) * res.y, Float(x) * res.x)
                let l = blob.frame.local(p - center)
                let u = l.z * inv.z, v = l.y * inv.y, w = l.x * inv.x
                let f = u * u + v * v + w * w
                if f > 4 { continue }
                let gu = u * inv.z, gv = v * inv.y, gw = w * inv.x
                let grad = max((gu * gu + gv * gv + gw * gw).squareRoot(), 1e-9)
                let rf = f.squareRoot()
                let d = (rf - 1) * rf / grad   // exact for spheres, close for these ellipsoids
                guard d < grow else { continue }
                var value = label
                let dInner = (p - inner).length - blob.innerRadius
                if hasCore && dInner < innerGrow { value = 6 }
                labels[i] = value
                guard let shade else { continue }
                switch blob.kind {
                case .mitochondrion:
                    if d > -24 { shade[i] = PhantomShade.mitoRim } else {
                        // Cristae: pale wavy lamellae across the long axis of a dark matrix.
                        let t = sinf(l.z * (2 * .pi / 90) + blob.phase + 2.5 * noise.fine.sample(p, spacing: 60))
                        let crista = max(0, t - 0.35) / 0.65
                        shade[i] = PhantomShade.mitoMatrix + (PhantomShade.mitoCrista - PhantomShade.mitoMatrix) * crista
                            + 8 * noise.fine.sample(p, spacing: 25)
                    }
                case .alphaGranule:
                    if d > -18 { shade[i] = PhantomShade.alphaRim }
                    else if blob.innerRadius > 0 && dInner < 0 { shade[i] = PhantomShade.alphaNucleoid }
                    else { shade[i] = PhantomShade.alphaMatrix + 7 * noise.fine.sample(p, spacing: 28) }
                case .denseGranule:
                    if dInner < 0 { shade[i] = PhantomShade.denseCore }
                    else if d > -16 { shade[i] = PhantomShade.denseRim }
                    else { shade[i] = PhantomShade.denseHalo }
                }
            }
        }
    }

    /// Shades a dense tubular system segment in the cytoplasm; labels stay `cell`.
    static func drawTubule(_ g: PhantomGeometry, _ tube: PhantomGeometry.Tube, z: Int, labels: UnsafeMutablePointer<UInt8>,
                           cellID: UnsafeMutablePointer<UInt16>, shade: UnsafeMutablePointer<Float>) {
        let res = g.resolution
        let ab = tube.b - tube.a
        let len2 = max(ab.dot(ab), 1e-9)
        for y in tube.box.y {
            let row = (z * g.shape.y + y) * g.shape.x
            for x in tube.box.x {
                let i = row + x
                guard cellID[i] == tube.cell, labels[i] == 1 else { continue }
                let p = PhantomVector(Float(z) * res.z, Float(y) * res.y, Float(x) * res.x)
                let t = max(0, min(1, (p - tube.a).dot(ab) / len2))
                let d = (p - (tube.a + ab * t)).length - tube.radius
                if d < 0 { shade[i] = PhantomShade.tubule }
            }
        }
    }

    static func drawTube(_ g: PhantomGeometry, _ tube: PhantomGeometry.Tube, z: Int, pert: PhantomPerturbation,
                         labels: UnsafeMutablePointer<UInt8>, cellID: UnsafeMutablePointer<UInt16>,
                         shade: UnsafeMutablePointer<Float>?) {
        let res = g.resolution
        let ab = tube.b - tube.a
        let len2 = max(ab.dot(ab), 1e-9)
        let grow = pert.groupGrow[tube.group] + pert.jitter(300_000 + tube.group, z)
        for y in tube.box.y {
            let row = (z * g.shape.y + y) * g.shape.x
            for x in tube.box.x {
                let i = row + x
                guard cellID[i] == tube.cell, labels[i] == 1 || labels[i] == 3 else { continue }
                let p = PhantomVector(Float(z) * res.z, Float(y) * res.y, Float(x) * res.x)
                let t = max(0, min(1, (p - tube.a).dot(ab) / len2))
                let d = (p - (tube.a + ab * t)).length - tube.radius
                guard d < grow else { continue }
                let rim = d > -10   // a thin rim inside; the membrane proper is drawn on the cytoplasm side
                if labels[i] == 1 {
                    labels[i] = 3
                    shade?[i] = rim ? PhantomShade.channelRim : PhantomShade.channelLumen
                } else if !rim {
                    // Overlapping capsules of one tube: lumen wins over the neighbour's rim.
                    shade?[i] = PhantomShade.channelLumen
                }
            }
        }
    }
}
