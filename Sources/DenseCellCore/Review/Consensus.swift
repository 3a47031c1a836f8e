import Foundation

/// Consensus labels from a pair of sources and the decisions taken on their disagreement regions,
/// or from the majority of several sources (see docs/ARCHITECTURE.md, Review).
public enum Consensus {
    /// The voxels of one region, recovered by a 6-connected flood fill from its seed over the voxels
    /// where A and B disagree under `rule`.
    ///
    /// - Parameters:
    ///   - region: the region, as found over the whole volume.
    ///   - a: source A's labels inside `region.box` (extracted with that box).
    ///   - b: source B's labels inside the box.
    ///   - masks: labeled-region masks inside the box.
    ///   - rule: the rule the region was found with.
    /// - Returns: 1 on the region's voxels, 0 elsewhere, shaped like the box. A component lies
    ///   wholly inside its bounding box, so the fill never needs to leave it.
    public static func regionMask(_ region: DisagreementRegion, a: Volume<UInt8>, b: Volume<UInt8>,
                                  masks: [Volume<UInt8>] = [], rule: DisagreementRule) -> Volume<UInt8> {
        let s = region.box.shape
        precondition(a.shape == s && b.shape == s, "labels must be extracted with the region's box")
        let table = rule.table()
        var out = Volume<UInt8>(shape: s, repeating: 0)
        func counts(_ i: Int) -> Bool {
            table[Int(a.data[i]) * 256 + Int(b.data[i])] && masks.allSatisfy { $0.data[i] != 0 }
        }
        let start = ((region.seed.z - region.box.z.lowerBound) * s.y + region.seed.y - region.box.y.lowerBound) * s.x
            + region.seed.x - region.box.x.lowerBound
        guard counts(start) else { return out }
        var stack = [start]
        out.data[start] = 1
        while let i = stack.popLast() {
            let z = i / s.planeCount, y = (i / s.x) % s.y, x = i % s.x
            @inline(__always) func visit(_ j: Int) {
                if out.data[j] == 0 && counts(j) { out.data[j] = 1; stack.append(j) }
            }
            if x > 0 { visit(i - 1) }
            if x + 1 < s.x { visit(i + 1) }
            if y > 0 { visit(i - s.x) }
            if y + 1 < s.y { visit(i + s.x) }
            if z > 0 { visit(i - s.planeCount) }
            if z + 1 < s.z { visit(i + s.planeCount) }
        }
        return out
    }

    /// A replacement of labels on one region: where `mask` is 1, the consensus takes `labels`.
    public struct Patch: Sendable {
        /// Where the patch lies in the volume.
        public var box: Box3
        /// 1 on the region's voxels, over `box`.
        public var mask: Volume<UInt8>
        /// The chosen source's labels over `box`; nil marks the region undecided.
        public var labels: Volume<UInt8>?
        /// A patch over `box`.
        /// - Parameters:
        ///   - box: where the patch lies in the volume.
        ///   - mask: 1 on the region's voxels.
        ///   - labels: the chosen source's labels on the box; nil marks the region undecided.
        public init(box: Box3, mask: Volume<UInt8>, labels: Volume<UInt8>?) {
            self.box = box; self.mask = mask; self.labels = labels
        }
    }

    /// Applies patches to a z-slab of source A's labels.
    ///
    /// - Parameters:
    ///   - slab: A's labels for planes `z0 ..< z0 + slab.shape.z` (modified in place).
    ///   - undecided: set to 1 where a patch without labels lies (same shape as `slab`).
    ///   - z0: the slab's first plane.
    /// - Returns: the number of voxels whose label changed.
    @discardableResult
    public static func apply(_ patches: [Patch], to slab: inout Volume<UInt8>, undecided: inout Volume<UInt8>, z0: Int) -> Int {
        precondition(undecided.shape == slab.shape)
        return apply(patches, to: &slab, z0: z0) { undecided.data[$0] = 1 }
    }

    /// Applies the patches that carry labels to a z-slab, in place (the viewer's live consensus,
    /// updated one decided region at a time).
    /// - Returns: the number of voxels whose label changed.
    @discardableResult
    public static func apply(_ patches: [Patch], to slab: inout Volume<UInt8>, z0: Int) -> Int {
        apply(patches, to: &slab, z0: z0) { _ in }
    }

    private static func apply(_ patches: [Patch], to slab: inout Volume<UInt8>, z0: Int, markUndecided: (Int) -> Void) -> Int {
        let s = slab.shape
        var changed = 0
        for p in patches {
            let z0Patch = max(p.box.z.lowerBound, z0), z1Patch = min(p.box.z.upperBound, z0 + s.z)
            guard z0Patch < z1Patch else { continue }
            let ps = p.box.shape
            for z in z0Patch..<z1Patch {
                for y in p.box.y {
                    for x in p.box.x {
                        let pi = ((z - p.box.z.lowerBound) * ps.y + y - p.box.y.lowerBound) * ps.x + x - p.box.x.lowerBound
                        guard p.mask.data[pi] != 0 else { continue }
                        let si = ((z - z0) * s.y + y) * s.x + x
                        if let labels = p.labels {
                            if slab.data[si] != labels.data[pi] { changed += 1 }
                            slab.data[si] = labels.data[pi]
                        } else {
                            markUndecided(si)
                        }
                    }
                }
            }
        }
        return changed
    }

    /// The voxelwise majority of three or more sources.
    ///
    /// - Parameter sources: label volumes of one shape.
    /// - Returns: the label most sources give each voxel, and 1 in `undecided` where the most
    ///   frequent labels tie (the label there is the first source's).
    public static func vote(_ sources: [Volume<UInt8>]) -> (labels: Volume<UInt8>, undecided: Volume<UInt8>) {
        precondition(sources.count >= 2)
        let shape = sources[0].shape
        for s in sources { precondition(s.shape == shape, "sources differ in shape") }
        var labels = Volume<UInt8>(shape: shape, repeating: 0)
        var undecided = Volume<UInt8>(shape: shape, repeating: 0)
        var tally = [Int](repeating: 0, count: 256)
        for i in 0..<shape.count {
            var best = -1, bestCount = 0, tie = false
            for s in sources { tally[Int(s.data[i])] += 1 }
            for s in sources {
                let v = Int(s.data[i]), c = tally[v]
                if c > bestCount { best = v; bestCount = c; tie = false }
                else if c == bestCount && v != best { tie = true }
            }
            for s in sources { tally[Int(s.data[i])] = 0 }
            labels.data[i] = tie ? sources[0].data[i] : UInt8(best)
            undecided.data[i] = tie ? 1 : 0
        }
        return (labels, undecided)
    }
}
