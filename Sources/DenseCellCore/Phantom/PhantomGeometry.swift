import Foundation

/// The objects of a synthetic platelet study in physical units (nm, world axes z, y, x), from
/// which the truth labels, the image and the annotators' labels are all rasterized.
struct PhantomGeometry: Sendable {
    /// A resting platelet: a flattened disc deformed by low-frequency noise.
    struct Cell: Sendable {
        var id: UInt16                 // 1-based, the value in the cell-id volume
        var center: PhantomVector
        var frame: PhantomFrame               // u, v: the disc plane; w: its normal
        var radii: PhantomVector                  // (a, b, h): in-plane semi-axes and half-thickness
        var deformOffset: PhantomVector           // where this cell samples the shared deformation noise
        var box: Box3
    }

    enum BlobKind: Sendable { case mitochondrion, alphaGranule, denseGranule }

    /// An ellipsoidal organelle inside one cell.
    struct Blob: Sendable {
        var index: Int                 // position in `blobs`, the key of annotator decisions
        var kind: BlobKind
        var cell: UInt16
        var center: PhantomVector
        var frame: PhantomFrame
        var semi: PhantomVector
        var inner: PhantomVector                  // dense core or alpha nucleoid centre (world), if innerRadius > 0
        var innerRadius: Float
        var phase: Float               // cristae phase
        var box: Box3
    }

    /// One capsule of a canalicular channel; consecutive capsules of a branch form a tube.
    struct Tube: Sendable {
        var index: Int
        var group: Int                 // a run of a few capsules that an annotator keeps or skips as one
        var cell: UInt16
        var a: PhantomVector, b: PhantomVector
        var radius: Float
        var box: Box3
    }

    var shape: Shape3
    var resolution: PhantomVector                 // nm per voxel (z, y, x)
    var cells: [Cell] = []
    var blobs: [Blob] = []
    var tubes: [Tube] = []
    var tubeGroups = 0
    /// Dense tubular system: thin dark tubules that are not labeled (they belong to the cell
    /// class, as in the paper's schema), so the image holds structure the labels ignore.
    var tubules: [Tube] = []

    /// Disc shape exponent: > 1 flattens the faces and rounds the rim like a lens.
    static let discExponent: Float = 1.6
    /// Relative depth of the low-frequency deformation of each cell.
    static let deformAmplitude: Float = 0.4
    static let deformSpacing: Float = 550

    // MARK: Sampling

    /// Draws a study's geometry. Cells and their contents come from separate streams of the
    /// seed, so one cell's draws do not shift another's.
    static func sample(shape: Shape3, seed: UInt64, resolution: PhantomVector = PhantomVector(50, 20, 20)) -> PhantomGeometry {
        var g = PhantomGeometry(shape: shape, resolution: resolution)
        let extent = PhantomVector(Float(shape.z) * resolution.z, Float(shape.y) * resolution.y, Float(shape.x) * resolution.x)
        var rng = SplitMix64.stream(seed, 1)
        // Aim for dense packing (many cells touching); the overlap test decides how many fit.
        let volumeUM3 = extent.z * extent.y * extent.x / 1e9
        // Cell ids are 16-bit: far more cells than any volume that fits in memory holds.
        let target = min(60_000, max(1, Int((volumeUM3 * 0.3).rounded())))
        var attempts = 0
        while g.cells.count < target && attempts < target * 80 {
            attempts += 1
            let radii = PhantomVector(rng.uniform(1000, 1500), 0, rng.uniform(250, 500))
            let a = radii.z
            let b = a * rng.uniform(0.8, 1.0)
            let r = PhantomVector(a, b, radii.x)
            // Centres may lie a little outside the volume so that cells are cut by its faces.
            let c = PhantomVector(rng.uniform(-0.1, 1.1) * extent.z, rng.uniform(-0.05, 1.05) * extent.y,
                                  rng.uniform(-0.05, 1.05) * extent.x)
            // Discs lie at any angle, as platelets do in a pellet.
            let frame = PhantomFrame.random(&rng)
            let candidate = Cell(id: UInt16(g.cells.count + 1), center: c, frame: PhantomFrame(u: frame.v, v: frame.w, w: frame.u),
                                 radii: r, deformOffset: PhantomVector(rng.uniform(0, 1e5), rng.uniform(0, 1e5), rng.uniform(0, 1e5)),
                                 box: Box3(z: 0..<0, y: 0..<0, x: 0..<0))
            guard g.accepts(candidate) else { continue }
            var cell = candidate
            cell.box = g.box(center: c, halfExtent: cell.frame.extent(PhantomVector(a * 1.25, b * 1.25, r.x * 1.45)), margin: 3)
            guard !cell.box.z.isEmpty, !cell.box.y.isEmpty, !cell.box.x.isEmpty else { continue }
            g.cells.append(cell)
        }
        for cell in g.cells { g.fill(cell, seed: seed) }
        for cell in g.cells { g.addTubules(cell, seed: seed) }
        return g
    }

    /// Rejects a cell that would swallow much of another: a few points well inside either one
    /// must not lie inside the other. Rims may overlap, which makes touching neighbours.
    func accepts(_ c: Cell) -> Bool {
        // In-plane probe points in units of the disc radii.
        let probes: [(Float, Float)] = [(0, 0), (0.7, 0), (-0.7, 0), (0, 0.7), (0, -0.7),
                                        (0.5, 0.5), (-0.5, 0.5), (0.5, -0.5), (-0.5, -0.5)]
        for other in cells {
            if (other.center - c.center).length > 2 * (other.radii.z + c.radii.z) { continue }
            for p in probes {
                let inC = c.center + c.frame.world(PhantomVector(p.0 * c.radii.z, p.1 * c.radii.y, 0))
                if Self.discValue(other, inC) < 1 { return false }
                let inOther = other.center + other.frame.world(PhantomVector(p.0 * other.radii.z, p.1 * other.radii.y, 0))
                if Self.discValue(c, inOther) < 1 { return false }
            }
        }
        return true
    }

    /// The undeformed disc function: < 1 inside.
    static func discValue(_ c: Cell, _ p: PhantomVector) -> Float {
        let l = c.frame.local(p - c.center)
        let s = (l.z / c.radii.z) * (l.z / c.radii.z) + (l.y / c.radii.y) * (l.y / c.radii.y)
        return powf(s, discExponent) + (l.x / c.radii.x) * (l.x / c.radii.x)
    }

    func box(center: PhantomVector, halfExtent e: PhantomVector, margin: Int) -> Box3 {
        func range(_ c: Float, _ h: Float, _ res: Float, _ n: Int) -> Range<Int> {
            let lo = Int(((c - h) / res).rounded(.down)) - margin
            let hi = Int(((c + h) / res).rounded(.up)) + margin + 1
            let l = max(0, lo), u = min(n, hi)
            return l < u ? l..<u : 0..<0
        }
        return Box3(z: range(center.z, e.z, resolution.z, shape.z), y: range(center.y, e.y, resolution.y, shape.y),
                    x: range(center.x, e.x, resolution.x, shape.x))
    }

    /// Places the organelles and canalicular channels of one cell, in the cell's own frame.
    mutating func fill(_ cell: Cell, seed: UInt64) {
        var rng = SplitMix64.stream(seed, 2, UInt64(cell.id))
        let (a, b, h) = (cell.radii.z, cell.radii.y, cell.radii.x)
        var placed: [(PhantomVector, Float)] = []   // local centre, bounding radius

        /// A local position inside the disc where a sphere of radius `r` fits, away from the others.
        func position(_ r: Float, radial: Float) -> PhantomVector? {
            for _ in 0..<60 {
                let angle = rng.uniform(0, 2 * .pi)
                let rho = radial * rng.unit().squareRoot()
                let s = rho * rho
                // Half-thickness of the lens at this radius, minus the organelle and a membrane gap.
                let half = h * max(0, 1 - powf(s, Self.discExponent)).squareRoot() - r - 25
                let w = half > 0 ? rng.uniform(-half, half) : 0
                let l = PhantomVector(rho * a * cosf(angle), rho * b * sinf(angle), w)
                if placed.allSatisfy({ ($0.0 - l).length > $0.1 + r + 15 }) {
                    placed.append((l, r))
                    return l
                }
            }
            return nil
        }

        func add(_ kind: BlobKind, local: PhantomVector, frame: PhantomFrame, semi: PhantomVector, inner: PhantomVector = .zero, innerRadius: Float = 0) {
            let center = cell.center + cell.frame.world(local)
            blobs.append(Blob(index: blobs.count, kind: kind, cell: cell.id, center: center, frame: frame, semi: semi,
                              inner: center + inner, innerRadius: innerRadius, phase: rng.uniform(0, 2 * .pi),
                              box: box(center: center, halfExtent: frame.extent(semi + PhantomVector(1, 1, 1) * 45), margin: 2)))
        }

        // Mitochondria: 2–6 ellipsoids 0.3–0.5 µm long, lying roughly in the disc plane.
        for _ in 0..<rng.int(2, 6) {
            let semi = PhantomVector(rng.uniform(150, 250), rng.uniform(90, 130), rng.uniform(80, 115))
            guard let l = position(semi.z * 0.9, radial: 0.7) else { continue }
            let angle = rng.uniform(0, 2 * .pi)
            let axis = cell.frame.world(PhantomVector(cosf(angle), sinf(angle), rng.uniform(-0.3, 0.3)))
            add(.mitochondrion, local: l, frame: PhantomFrame.aligned(axis, spin: rng.uniform(0, 2 * .pi)), semi: semi)
        }
        // Dense granules: 2–8, 150–300 nm across, each with an off-centre dense core.
        for _ in 0..<rng.int(2, 8) {
            let r = rng.uniform(75, 150)
            guard let l = position(r, radial: 0.8) else { continue }
            let coreRadius = r * rng.uniform(0.42, 0.62)
            let offset = rng.direction() * ((r - coreRadius - 8) * rng.uniform(0.45, 0.95))
            add(.denseGranule, local: l, frame: PhantomFrame.random(&rng), semi: PhantomVector(r, r * rng.uniform(0.9, 1), r * rng.uniform(0.9, 1)),
                inner: offset, innerRadius: coreRadius)
        }
        // Alpha granules: 20–50 spheres 200–500 nm across, smaller ones commoner; many with an
        // eccentric darker nucleoid.
        for _ in 0..<rng.int(20, 50) {
            let r = 100 + 150 * powf(rng.unit(), 1.6)
            guard let l = position(r, radial: 0.85) else { continue }
            let hasNucleoid = rng.unit() < 0.6
            let nucleoidRadius = hasNucleoid ? r * rng.uniform(0.3, 0.45) : 0
            add(.alphaGranule, local: l, frame: PhantomFrame.random(&rng),
                semi: PhantomVector(r * rng.uniform(1.0, 1.18), r * rng.uniform(0.9, 1.05), r * rng.uniform(0.85, 1.0)),
                inner: rng.direction() * (r * 0.35), innerRadius: nucleoidRadius)
        }
        // Canalicular channels: tortuous tubes entering from the surface, branching inside.
        for _ in 0..<rng.int(2, 4) {
            let angle = rng.uniform(0, 2 * .pi)
            let start = PhantomVector(1.04 * a * cosf(angle), 1.04 * b * sinf(angle), rng.uniform(-0.3, 0.3) * h)
            let inward = PhantomVector(-cosf(angle), -sinf(angle), 0)
            walkChannel(cell, from: start, direction: inward, radius: rng.uniform(40, 100), steps: rng.int(14, 30),
                        depth: 0, rng: &rng)
        }
    }

    /// 4–10 short thin tubules per cell, wandering in the disc plane; their own random stream
    /// leaves the labeled objects unchanged.
    mutating func addTubules(_ cell: Cell, seed: UInt64) {
        var rng = SplitMix64.stream(seed, 3, UInt64(cell.id))
        let (a, b, h) = (cell.radii.z, cell.radii.y, cell.radii.x)
        for _ in 0..<rng.int(4, 10) {
            let angle = rng.uniform(0, 2 * .pi), rho = rng.uniform(0.3, 0.85)
            var p = PhantomVector(rho * a * cosf(angle), rho * b * sinf(angle), rng.uniform(-0.4, 0.4) * h)
            let heading = rng.uniform(0, 2 * .pi)
            var dir = PhantomVector(cosf(heading), sinf(heading), 0)
            let r = rng.uniform(18, 28)
            for _ in 0..<rng.int(5, 12) {
                var turn = rng.direction() * 0.5
                turn.x *= 0.3
                dir = (dir + turn).normalized
                var next = p + dir * rng.uniform(40, 60)
                next.x = max(-0.5 * h, min(0.5 * h, next.x))
                let radial = ((next.z / a) * (next.z / a) + (next.y / b) * (next.y / b)).squareRoot()
                if radial > 0.9 { break }
                let wa = cell.center + cell.frame.world(p), wb = cell.center + cell.frame.world(next)
                let half = PhantomVector(abs(wa.z - wb.z), abs(wa.y - wb.y), abs(wa.x - wb.x)) * 0.5 + PhantomVector(r, r, r)
                tubules.append(Tube(index: tubules.count, group: 0, cell: cell.id, a: wa, b: wb, radius: r,
                                    box: box(center: (wa + wb) * 0.5, halfExtent: half, margin: 1)))
                p = next
            }
        }
    }

    /// A random walk with persistence; each step is one capsule. Branches spawn new walks.
    mutating func walkChannel(_ cell: Cell, from start: PhantomVector, direction: PhantomVector, radius: Float, steps: Int, depth: Int,
                              rng: inout SplitMix64) {
        let (a, b, h) = (cell.radii.z, cell.radii.y, cell.radii.x)
        var p = start, dir = direction.normalized, r = radius
        var group = tubeGroups
        tubeGroups += 1
        for step in 0..<steps {
            if step > 0 && step % 5 == 0 { group = tubeGroups; tubeGroups += 1 }
            var turn = rng.direction() * 0.45
            turn.x *= 0.5   // channels wander more in the disc plane than across it
            dir = (dir + turn).normalized
            var next = p + dir * rng.uniform(55, 85)
            // Turn back from the surface after entering, and keep off the faces.
            let radial = ((next.z / a) * (next.z / a) + (next.y / b) * (next.y / b)).squareRoot()
            if step > 1 && radial > 0.82 { dir = (dir - PhantomVector(next.z / a, next.y / b, 0) * 0.8).normalized; next = p + dir * 70 }
            let faceLimit = h * 0.55
            if abs(next.x) > faceLimit { dir.x = -dir.x * 0.5; dir = dir.normalized; next.x = max(-faceLimit, min(faceLimit, next.x)) }
            r = max(40, min(100, r * rng.uniform(0.88, 1.12)))
            let wa = cell.center + cell.frame.world(p), wb = cell.center + cell.frame.world(next)
            let mid = (wa + wb) * 0.5
            let half = PhantomVector(abs(wa.z - wb.z), abs(wa.y - wb.y), abs(wa.x - wb.x)) * 0.5 + PhantomVector(r, r, r)
            tubes.append(Tube(index: tubes.count, group: group, cell: cell.id, a: wa, b: wb, radius: r,
                              box: box(center: mid, halfExtent: half, margin: 1)))
            p = next
            if depth < 2 && step > 2 && rng.unit() < 0.09 {
                let side = dir.cross(PhantomVector(0, 0, 1)).normalized * (rng.unit() < 0.5 ? 1 : -1)
                walkChannel(cell, from: p, direction: dir + side, radius: r * rng.uniform(0.7, 1.0),
                            steps: rng.int(6, 16), depth: depth + 1, rng: &rng)
            }
        }
    }
}
