import XCTest
@testable import DenseCellCore

final class DisagreementRegionTests: XCTestCase {
    /// Independent reference: a breadth-first 3-D flood fill over the whole volume.
    struct Reference: Hashable {
        var voxels: Int
        var box: Box3
        var pairs: [UInt16: Int]
        var seed: [Int]
    }

    func bruteForce(a: Volume<UInt8>, b: Volume<UInt8>, masks: [Volume<UInt8>], organelles: Set<Int>,
                    classes: Int, allClasses: Bool, minVoxels: Int) -> [Reference] {
        let s = a.shape
        func counts(_ i: Int) -> Bool {
            let va = Int(a.data[i]), vb = Int(b.data[i])
            guard va != vb, va < classes, vb < classes else { return false }
            guard masks.allSatisfy({ $0.data[i] != 0 }) else { return false }
            return allClasses || organelles.contains(va) || organelles.contains(vb)
        }
        var seen = [Bool](repeating: false, count: s.count)
        var out: [Reference] = []
        for start in 0..<s.count where !seen[start] && counts(start) {
            var queue = [start]; seen[start] = true
            var head = 0
            var pairs: [UInt16: Int] = [:]
            var lo = [Int.max, Int.max, Int.max], hi = [Int.min, Int.min, Int.min]
            while head < queue.count {
                let i = queue[head]; head += 1
                let z = i / s.planeCount, y = (i / s.x) % s.y, x = i % s.x
                for (d, v) in [z, y, x].enumerated() { lo[d] = min(lo[d], v); hi[d] = max(hi[d], v) }
                pairs[UInt16(a.data[i]) << 8 | UInt16(b.data[i]), default: 0] += 1
                let neighbours = [(z - 1, y, x), (z + 1, y, x), (z, y - 1, x), (z, y + 1, x), (z, y, x - 1), (z, y, x + 1)]
                for (nz, ny, nx) in neighbours where nz >= 0 && nz < s.z && ny >= 0 && ny < s.y && nx >= 0 && nx < s.x {
                    let j = (nz * s.y + ny) * s.x + nx
                    if !seen[j] && counts(j) { seen[j] = true; queue.append(j) }
                }
            }
            guard queue.count >= minVoxels else { continue }
            out.append(Reference(voxels: queue.count,
                                 box: Box3(z: lo[0]..<(hi[0] + 1), y: lo[1]..<(hi[1] + 1), x: lo[2]..<(hi[2] + 1)),
                                 pairs: pairs, seed: [start / s.planeCount, (start / s.x) % s.y, start % s.x]))
        }
        return out
    }

    /// Random labels with blobs of agreement so that components of many sizes and shapes appear.
    func randomPair(_ shape: Shape3, seed: UInt64, classes: Int) -> (Volume<UInt8>, Volume<UInt8>, Volume<UInt8>) {
        var rng = SplitMix64(seed: seed)
        var a = Volume<UInt8>(shape: shape, repeating: 0), b = a, mask = a
        for i in 0..<shape.count {
            a.data[i] = UInt8(rng.next() % UInt64(classes))
            b.data[i] = rng.next() % 3 == 0 ? UInt8(rng.next() % UInt64(classes)) : a.data[i]
            mask.data[i] = rng.next() % 10 == 0 ? 0 : 1
        }
        return (a, b, mask)
    }

    func check(shape: Shape3, seed: UInt64, slabDepths: [Int], allClasses: Bool, minVoxels: Int, useMask: Bool) {
        let classes = 7, organelles: Set<Int> = [2, 3, 4, 5, 6]
        let (a, b, mask) = randomPair(shape, seed: seed, classes: classes)
        let masks = useMask ? [mask] : []
        let expected = bruteForce(a: a, b: b, masks: masks, organelles: organelles, classes: classes,
                                  allClasses: allClasses, minVoxels: minVoxels)
        XCTAssertFalse(expected.isEmpty, "the random volume should hold regions")
        let rule = DisagreementRule(classes: classes, organelles: organelles, allClasses: allClasses)
        for depth in slabDepths {
            let found = DisagreementRegion.find(a: a, b: b, masks: masks, rule: rule, minVoxels: minVoxels, slabDepth: depth)
            let asReference = Set(found.map { r in
                Reference(voxels: r.voxels, box: r.box,
                          pairs: Dictionary(uniqueKeysWithValues: r.classPairs.map { (UInt16($0.a) << 8 | UInt16($0.b), $0.voxels) }),
                          seed: [r.seed.z, r.seed.y, r.seed.x])
            })
            XCTAssertEqual(found.count, expected.count, "slab depth \(depth)")
            XCTAssertEqual(asReference, Set(expected), "slab depth \(depth)")
            // Queue order: by size, ids from 1.
            XCTAssertEqual(found.map(\.id), Array(0..<found.count).map { $0 + 1 })
            XCTAssertEqual(found.map(\.voxels), found.map(\.voxels).sorted(by: >))
            for r in found {
                XCTAssertTrue(Double(r.box.z.lowerBound) <= r.centroid.z && r.centroid.z <= Double(r.box.z.upperBound - 1))
                XCTAssertTrue(Double(r.box.x.lowerBound) <= r.centroid.x && r.centroid.x <= Double(r.box.x.upperBound - 1))
                XCTAssertGreaterThanOrEqual(r.mainPair.voxels, r.classPairs.last!.voxels)
            }
        }
    }

    func testMatchesFloodFillAcrossSlabBorders() {
        check(shape: Shape3(9, 17, 13), seed: 1, slabDepths: [1, 2, 4, 9], allClasses: false, minVoxels: 1, useMask: false)
    }

    func testMatchesFloodFillWithMaskAndMinimumSize() {
        check(shape: Shape3(12, 20, 20), seed: 2, slabDepths: [1, 5, 12], allClasses: false, minVoxels: 4, useMask: true)
    }

    func testAllClassesCountsCellAgainstBackground() {
        check(shape: Shape3(6, 15, 11), seed: 3, slabDepths: [1, 3], allClasses: true, minVoxels: 2, useMask: true)
    }

    /// A U-shaped region whose two arms meet only in the last slab: labels given to the arms in
    /// earlier slabs must merge into one region.
    func testArmsJoinedInALaterSlab() {
        let shape = Shape3(6, 5, 9)
        let a = Volume<UInt8>(shape: shape, repeating: 1)
        var b = a
        for z in 0..<6 { b[z, 2, 1] = 4; b[z, 2, 7] = 4 }
        for x in 1...7 { b[5, 2, x] = 4 }
        let rule = DisagreementRule(classes: 7, organelles: [2, 3, 4, 5, 6])
        for depth in [1, 2, 3, 6] {
            let regions = DisagreementRegion.find(a: a, b: b, rule: rule, minVoxels: 1, slabDepth: depth)
            XCTAssertEqual(regions.count, 1, "depth \(depth)")
            XCTAssertEqual(regions.first?.voxels, 6 + 6 + 5)
            XCTAssertEqual(regions.first?.box, Box3(z: 0..<6, y: 2..<3, x: 1..<8))
            XCTAssertEqual(regions.first?.mainPair, ClassPairCount(a: 1, b: 4, voxels: 17))
            XCTAssertEqual(regions.first?.seed.x, 1)
        }
    }

    func testCellAgainstBackgroundIsNotAnOrganelleDisagreement() {
        let shape = Shape3(2, 4, 4)
        let a = Volume<UInt8>(shape: shape, repeating: 0)
        let b = Volume<UInt8>(shape: shape, repeating: 1)
        let rule = DisagreementRule(classes: 7, organelles: [2, 3, 4, 5, 6])
        XCTAssertTrue(DisagreementRegion.find(a: a, b: b, rule: rule, minVoxels: 1).isEmpty)
        var all = rule; all.allClasses = true
        XCTAssertEqual(DisagreementRegion.find(a: a, b: b, rule: all, minVoxels: 1).map(\.voxels), [32])
    }
}

final class ConsensusTests: XCTestCase {
    func testRegionMaskRecoversEachRegionExactly() {
        var rng = SplitMix64(seed: 9)
        let shape = Shape3(7, 16, 16)
        var a = Volume<UInt8>(shape: shape, repeating: 1), b = a
        for i in 0..<shape.count { if rng.next() % 3 == 0 { b.data[i] = UInt8(2 + rng.next() % 5) } }
        let rule = DisagreementRule(classes: 7, organelles: [2, 3, 4, 5, 6])
        let regions = DisagreementRegion.find(a: a, b: b, rule: rule, minVoxels: 1, slabDepth: 3)
        var covered = Volume<UInt8>(shape: shape, repeating: 0)
        for r in regions {
            let m = Consensus.regionMask(r, a: a.extract(r.box), b: b.extract(r.box), rule: rule)
            XCTAssertEqual(m.data.reduce(0) { $0 + Int($1) }, r.voxels)
            covered.insert(Volume(shape: m.shape, data: zip(m.data, covered.extract(r.box).data).map { $0 | $1 }),
                           at: (r.box.z.lowerBound, r.box.y.lowerBound, r.box.x.lowerBound))
        }
        // Every disagreeing voxel belongs to exactly one region, and only those.
        let disagree = zip(a.data, b.data).map { $0 != $1 ? UInt8(1) : 0 }
        XCTAssertEqual(covered.data, disagree)
        XCTAssertEqual(regions.reduce(0) { $0 + $1.voxels }, disagree.reduce(0) { $0 + Int($1) })
    }

    func testApplyTakesTheChosenLabelsOnlyOnTheRegion() {
        let shape = Shape3(3, 4, 4)
        var slab = Volume<UInt8>(shape: shape, repeating: 1)
        var undecided = Volume<UInt8>(shape: shape, repeating: 0)
        let box = Box3(z: 1..<3, y: 0..<2, x: 0..<2)
        var mask = Volume<UInt8>(shape: box.shape, repeating: 0)
        mask[0, 0, 0] = 1; mask[1, 1, 1] = 1
        let labels = Volume<UInt8>(shape: box.shape, repeating: 5)
        let other = Consensus.Patch(box: Box3(z: 0..<1, y: 3..<4, x: 3..<4), mask: Volume(shape: Shape3(1, 1, 1), repeating: 1), labels: nil)
        let changed = Consensus.apply([Consensus.Patch(box: box, mask: mask, labels: labels), other], to: &slab, undecided: &undecided, z0: 0)
        XCTAssertEqual(changed, 2)
        XCTAssertEqual(slab[1, 0, 0], 5); XCTAssertEqual(slab[2, 1, 1], 5); XCTAssertEqual(slab[1, 1, 1], 1)
        XCTAssertEqual(undecided.data.reduce(0) { $0 + Int($1) }, 1)
        XCTAssertEqual(undecided[0, 3, 3], 1)
        // A slab that starts inside the box sees only its part.
        var late = Volume<UInt8>(shape: Shape3(1, 4, 4), repeating: 1)
        var lateUndecided = Volume<UInt8>(shape: Shape3(1, 4, 4), repeating: 0)
        XCTAssertEqual(Consensus.apply([Consensus.Patch(box: box, mask: mask, labels: labels)], to: &late, undecided: &lateUndecided, z0: 2), 1)
        XCTAssertEqual(late[0, 1, 1], 5)
    }

    func testVoteTakesTheMajorityAndMarksTies() {
        let s = Shape3(1, 1, 4)
        let a = Volume<UInt8>(shape: s, data: [1, 2, 3, 4])
        let b = Volume<UInt8>(shape: s, data: [1, 2, 5, 6])
        let c = Volume<UInt8>(shape: s, data: [2, 3, 5, 0])
        let (labels, undecided) = Consensus.vote([a, b, c])
        XCTAssertEqual(labels.data, [1, 2, 5, 4])
        XCTAssertEqual(undecided.data, [0, 0, 0, 1])
    }
}
