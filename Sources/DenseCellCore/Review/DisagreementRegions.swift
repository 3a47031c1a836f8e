import Foundation

/// How many voxels of one (A class, B class) pair a disagreement region holds.
public struct ClassPairCount: Sendable, Equatable, Hashable {
    /// The reference source's class.
    public var a: UInt8
    /// The compared source's class.
    public var b: UInt8
    /// Voxels where A has `a` and B has `b`.
    public var voxels: Int
    /// A count of `voxels` for the pair (`a`, `b`).
    public init(a: UInt8, b: UInt8, voxels: Int) { self.a = a; self.b = b; self.voxels = voxels }
}

/// A 6-connected 3-D component of voxels where two label sources disagree
/// (see docs/ARCHITECTURE.md, Review).
public struct DisagreementRegion: Sendable, Equatable {
    /// Rank in the review queue, from 1 (the largest region).
    public var id: Int
    /// Number of voxels in the region.
    public var voxels: Int
    /// The smallest box holding every voxel of the region.
    public var box: Box3
    /// Mean (z, y, x) of the region's voxels.
    public var centroid: (z: Double, y: Double, x: Double)
    /// The first voxel of the region in (z, y, x) raster order: a flood fill from it over
    /// disagreeing voxels recovers exactly the region.
    public var seed: (z: Int, y: Int, x: Int)
    /// The class pairs the region holds, the most frequent first (ties: smaller A, then B).
    public var classPairs: [ClassPairCount]
    /// The pair the region is mostly about.
    public var mainPair: ClassPairCount { classPairs[0] }

    /// A region from its statistics (the finder makes these; review logs rebuild them).
    public init(id: Int, voxels: Int, box: Box3, centroid: (z: Double, y: Double, x: Double),
                seed: (z: Int, y: Int, x: Int), classPairs: [ClassPairCount]) {
        self.id = id; self.voxels = voxels; self.box = box; self.centroid = centroid
        self.seed = seed; self.classPairs = classPairs
    }

    /// Equal when every property is (tuples keep the compiler from deriving this).
    public static func == (l: Self, r: Self) -> Bool {
        l.id == r.id && l.voxels == r.voxels && l.box == r.box && l.classPairs == r.classPairs
            && l.seed == r.seed && l.centroid == r.centroid
    }
}

/// Which voxels count as a disagreement of A and B.
public struct DisagreementRule: Sendable, Equatable {
    /// Labels ≥ this are outside the schema and never count.
    public var classes: Int
    /// Classes whose disagreement counts; with `allClasses` every class does.
    public var organelles: Set<Int>
    /// Count disagreements between non-organelle classes (cell vs background) too.
    public var allClasses: Bool

    /// A rule over `classes` classes; by default only disagreements involving an organelle count.
    public init(classes: Int, organelles: Set<Int>, allClasses: Bool = false) {
        self.classes = classes; self.organelles = organelles; self.allClasses = allClasses
    }

    /// A lookup table `counts[a * 256 + b]` that is 1 where labels a and b disagree under the rule.
    func table() -> [Bool] {
        var t = [Bool](repeating: false, count: 256 * 256)
        for a in 0..<min(classes, 256) {
            for b in 0..<min(classes, 256) where a != b {
                t[a * 256 + b] = allClasses || organelles.contains(a) || organelles.contains(b)
            }
        }
        return t
    }
}

/// Finds disagreement regions in one streaming pass over z-slabs.
///
/// Slabs are fed in z order (any thickness, down to single planes). Components are labeled with a
/// union–find whose labels live only on the slab being processed and the last plane before it;
/// a component that does not reach the last plane of a slab can grow no further, so it is closed
/// then: kept if it has at least `minVoxels` voxels, forgotten otherwise. Memory is one slab of
/// labels plus the statistics of the components still open, whatever the volume's depth.
public struct DisagreementRegionFinder {
    /// The extent of the whole volume the slabs come from.
    public let shape: Shape3
    /// Which voxel pairs disagree.
    public let rule: DisagreementRule
    /// Smallest region kept; smaller ones are dropped as noise.
    public let minVoxels: Int

    /// What `add` holds per voxel of a slab besides the slab itself (a component label and the
    /// combined mask), for sizing slabs.
    public static let bytesPerVoxel = MemoryLayout<Int32>.size + 1

    private let disagree: [Bool]
    private var nextZ = 0
    /// Handle of the component of each voxel of the last plane fed, or -1.
    private var lastPlane: [Int32]
    private var parent: [Int32] = []
    private var stats: [RegionStats?] = []
    private var closed: [RegionStats] = []

    /// - Parameters:
    ///   - shape: the shape of the whole volume the slabs come from.
    ///   - rule: which label pairs count as disagreement.
    ///   - minVoxels: regions smaller than this are dropped.
    public init(shape: Shape3, rule: DisagreementRule, minVoxels: Int = 20) {
        self.shape = shape; self.rule = rule; self.minVoxels = max(1, minVoxels)
        disagree = rule.table()
        lastPlane = [Int32](repeating: -1, count: shape.planeCount)
    }

    /// Adds the next z-slab of both sources.
    ///
    /// - Parameters:
    ///   - a: labels of source A for planes `z0 ..< z0 + a.shape.z`; `z0` must be where the previous slab ended.
    ///   - b: labels of source B, same shape.
    ///   - masks: labeled-region masks of the same shape; voxels where any is 0 never count.
    ///   - z0: the slab's first plane in volume coordinates.
    public mutating func add(a: Volume<UInt8>, b: Volume<UInt8>, masks: [Volume<UInt8>] = [], z0: Int) {
        precondition(z0 == nextZ, "slabs must come in z order: expected z \(nextZ), got \(z0)")
        precondition(a.shape == b.shape && a.shape.y == shape.y && a.shape.x == shape.x && z0 + a.shape.z <= shape.z,
                     "slab \(a.shape)/\(b.shape) at z \(z0) does not fit volume \(shape)")
        for m in masks { precondition(m.shape == a.shape, "mask \(m.shape) does not match slab \(a.shape)") }
        let depth = a.shape.z, ny = shape.y, nx = shape.x, plane = shape.planeCount
        var labels = [Int32](repeating: -1, count: depth * plane)
        // The labeled region, combined once per slab rather than looked up mask by mask per voxel.
        let keep: [UInt8]? = masks.isEmpty ? nil : masks.dropFirst().reduce(masks[0].data) { acc, m in
            zip(acc, m.data).map { $0 != 0 && $1 != 0 ? 1 : 0 }
        }
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                disagree.withUnsafeBufferPointer { table in
                    for z in 0..<depth {
                        for y in 0..<ny {
                            for x in 0..<nx {
                                let i = (z * ny + y) * nx + x
                                let va = Int(ap[i]), vb = Int(bp[i])
                                guard table[va &* 256 &+ vb] else { continue }
                                if let keep, keep[i] == 0 { continue }
                                var label: Int32 = -1
                                if x > 0 { label = join(label, labels[i - 1]) }
                                if y > 0 { label = join(label, labels[i - nx]) }
                                if z > 0 { label = join(label, labels[i - plane]) }
                                else if z0 > 0 { label = join(label, lastPlane[y * nx + x]) }
                                if label < 0 { label = makeComponent() }
                                labels[i] = label
                                let root = Int(find(label))
                                stats[root]!.add(z: z0 + z, y: y, x: x, pair: UInt16(va) << 8 | UInt16(vb))
                            }
                        }
                    }
                }
            }
        }
        nextZ = z0 + depth
        let tail = (depth - 1) * plane
        let newLast = Array(labels[tail..<(tail + plane)])
        closeFinished(lastPlane: newLast)
    }

    /// Closes every open component and returns the regions with at least `minVoxels` voxels,
    /// largest first and numbered from 1.
    public mutating func finish() -> [DisagreementRegion] {
        closeFinished(lastPlane: [Int32](repeating: -1, count: shape.planeCount))
        let ordered = closed.sorted { l, r in
            if l.voxels != r.voxels { return l.voxels > r.voxels }
            return (l.seed.z, l.seed.y, l.seed.x) < (r.seed.z, r.seed.y, r.seed.x)
        }
        return ordered.enumerated().map { n, s in s.region(id: n + 1) }
    }

    // MARK: union–find

    private mutating func makeComponent() -> Int32 {
        parent.append(Int32(parent.count))
        stats.append(RegionStats())
        return Int32(parent.count - 1)
    }

    private mutating func find(_ x: Int32) -> Int32 {
        var r = x
        while parent[Int(r)] != r { r = parent[Int(r)] }
        var c = x
        while parent[Int(c)] != r { let n = parent[Int(c)]; parent[Int(c)] = r; c = n }
        return r
    }

    /// Joins the component of `current` (or none, -1) with that of a neighbour's label.
    private mutating func join(_ current: Int32, _ neighbour: Int32) -> Int32 {
        guard neighbour >= 0 else { return current }
        guard current >= 0 else { return neighbour }
        let ra = find(current), rb = find(neighbour)
        if ra == rb { return current }
        // The larger statistics absorb the smaller, so merging costs stay low.
        let (keep, drop) = stats[Int(ra)]!.pairs.count >= stats[Int(rb)]!.pairs.count ? (ra, rb) : (rb, ra)
        stats[Int(keep)]!.merge(stats[Int(drop)]!)
        stats[Int(drop)] = nil
        parent[Int(drop)] = keep
        return current
    }

    /// Closes components absent from `lastPlane` and renumbers the open ones compactly, so the
    /// union–find never grows beyond the components open at a slab border.
    private mutating func closeFinished(lastPlane newLast: [Int32]) {
        var renumber: [Int32: Int32] = [:]
        var newStats: [RegionStats?] = []
        var remapped = [Int32](repeating: -1, count: newLast.count)
        for (i, l) in newLast.enumerated() where l >= 0 {
            let root = find(l)
            if let n = renumber[root] { remapped[i] = n; continue }
            let n = Int32(newStats.count)
            renumber[root] = n
            newStats.append(stats[Int(root)])
            remapped[i] = n
        }
        for (index, s) in stats.enumerated() {
            guard let s, renumber[Int32(index)] == nil else { continue }
            if s.voxels >= minVoxels { closed.append(s) }
        }
        stats = newStats
        parent = (0..<Int32(newStats.count)).map { $0 }
        lastPlane = remapped
    }
}

/// Running statistics of one component.
struct RegionStats {
    var voxels = 0
    var zMin = Int.max, zMax = Int.min, yMin = Int.max, yMax = Int.min, xMin = Int.max, xMax = Int.min
    var zSum = 0, ySum = 0, xSum = 0
    var seed = (z: Int.max, y: Int.max, x: Int.max)
    /// Voxels per (A << 8 | B) class pair.
    var pairs: [UInt16: Int] = [:]

    @inline(__always) mutating func add(z: Int, y: Int, x: Int, pair: UInt16) {
        if voxels == 0 { seed = (z, y, x) }
        voxels += 1
        zMin = min(zMin, z); zMax = max(zMax, z); yMin = min(yMin, y); yMax = max(yMax, y)
        xMin = min(xMin, x); xMax = max(xMax, x)
        zSum += z; ySum += y; xSum += x
        pairs[pair, default: 0] += 1
    }

    mutating func merge(_ o: RegionStats) {
        voxels += o.voxels
        zMin = min(zMin, o.zMin); zMax = max(zMax, o.zMax); yMin = min(yMin, o.yMin); yMax = max(yMax, o.yMax)
        xMin = min(xMin, o.xMin); xMax = max(xMax, o.xMax)
        zSum += o.zSum; ySum += o.ySum; xSum += o.xSum
        if (o.seed.z, o.seed.y, o.seed.x) < (seed.z, seed.y, seed.x) { seed = o.seed }
        for (k, v) in o.pairs { pairs[k, default: 0] += v }
    }

    func region(id: Int) -> DisagreementRegion {
        let n = Double(voxels)
        let counts = pairs.map { ClassPairCount(a: UInt8($0.key >> 8), b: UInt8($0.key & 0xFF), voxels: $0.value) }
            .sorted { l, r in l.voxels != r.voxels ? l.voxels > r.voxels : (l.a, l.b) < (r.a, r.b) }
        return DisagreementRegion(
            id: id, voxels: voxels,
            box: Box3(z: zMin..<(zMax + 1), y: yMin..<(yMax + 1), x: xMin..<(xMax + 1)),
            centroid: (Double(zSum) / n, Double(ySum) / n, Double(xSum) / n),
            seed: seed, classPairs: counts)
    }
}

extension DisagreementRegion {
    /// Finds the regions of two whole label volumes held in memory (small studies and tests);
    /// streaming callers feed a `DisagreementRegionFinder` slab by slab instead.
    public static func find(a: Volume<UInt8>, b: Volume<UInt8>, masks: [Volume<UInt8>] = [],
                            rule: DisagreementRule, minVoxels: Int = 20, slabDepth: Int = 16) -> [DisagreementRegion] {
        precondition(a.shape == b.shape, "sources \(a.shape) and \(b.shape) differ in shape")
        var finder = DisagreementRegionFinder(shape: a.shape, rule: rule, minVoxels: minVoxels)
        var z = 0
        while z < a.shape.z {
            let box = Box3(z: z..<min(a.shape.z, z + max(1, slabDepth)), y: 0..<a.shape.y, x: 0..<a.shape.x)
            finder.add(a: a.extract(box), b: b.extract(box), masks: masks.map { $0.extract(box) }, z0: z)
            z = box.z.upperBound
        }
        return finder.finish()
    }
}
