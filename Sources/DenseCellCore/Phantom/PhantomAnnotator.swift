import Foundation

/// How a hurried human labeler departs from the truth; each annotator has its own habits and seed.
struct PhantomAnnotatorStyle: Sendable {
    var boundaryBias: Float        // nm added to every organelle outline (positive: draws generously)
    var boundarySpread: Float      // nm, per-object outline error (σ, clipped to ±2 px)
    var sliceJitter: Float         // nm, per-slice outline wander
    var missSmall: Float           // chance to miss a granule under 130 nm radius (left labeled cell)
    var missOther: Float           // chance to miss any other organelle
    var denseAsAlpha: Float        // dense granule labeled alpha granule
    var alphaAsDense: Float        // alpha granule labeled dense granule
    var channelSkip: Float         // chance to skip a run of channel capsules
    var cellSpread: Float          // nm, per-cell outline error (σ)

    static let annotator1 = PhantomAnnotatorStyle(boundaryBias: 5, boundarySpread: 7, sliceJitter: 4,
                                                  missSmall: 0.06, missOther: 0.03, denseAsAlpha: 0.07,
                                                  alphaAsDense: 0.012, channelSkip: 0.1, cellSpread: 10)
    static let annotator2 = PhantomAnnotatorStyle(boundaryBias: -4, boundarySpread: 7, sliceJitter: 4,
                                                  missSmall: 0.08, missOther: 0.04, denseAsAlpha: 0.06,
                                                  alphaAsDense: 0.018, channelSkip: 0.12, cellSpread: 10)

    /// Draws this annotator's decisions for every object of the geometry.
    func perturbation(_ g: PhantomGeometry, seed: UInt64) -> PhantomPerturbation {
        var rng = SplitMix64(seed: seed)
        var p = PhantomPerturbation.identity(g)
        p.seed = SplitMix64.mix(seed ^ 0xA770)
        p.sliceJitter = sliceJitter
        let twoPixels: Float = 2 * g.resolution.y
        func clip(_ v: Float) -> Float { max(-twoPixels, min(twoPixels, v)) }
        for i in 0..<g.cells.count { p.cellGrow[i] = clip(cellSpread * rng.normal()) }
        for blob in g.blobs {
            let i = blob.index
            let radius = min(blob.semi.z, blob.semi.y, blob.semi.x)
            let isGranule = blob.kind != .mitochondrion
            let miss = isGranule && radius < 130 ? missSmall : missOther
            if rng.unit() < miss { p.blobKind[i] = nil }
            else if blob.kind == .denseGranule && rng.unit() < denseAsAlpha { p.blobKind[i] = .alphaGranule }
            else if blob.kind == .alphaGranule && rng.unit() < alphaAsDense { p.blobKind[i] = .denseGranule }
            p.blobGrow[i] = clip(boundaryBias + boundarySpread * rng.normal())
            p.innerGrow[i] = clip(boundarySpread * rng.normal())
            p.blobShift[i] = PhantomVector(0, rng.uniform(-1, 1) * g.resolution.y, rng.uniform(-1, 1) * g.resolution.x)
        }
        for group in 0..<g.tubeGroups {
            p.groupKept[group] = rng.unit() >= channelSkip
            p.groupGrow[group] = clip(boundaryBias + boundarySpread * rng.normal())
        }
        return p
    }
}
