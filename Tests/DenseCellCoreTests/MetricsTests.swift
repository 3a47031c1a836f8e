import XCTest
@testable import DenseCellCore

final class MetricsTests: XCTestCase {
    // Hand-worked 1×3×4 pair, four classes, class 3 in neither:
    //   truth  0 0 0 1 | 1 1 2 2 | 2 2 2 0
    //   pred   0 0 1 1 | 1 2 2 2 | 0 2 2 0
    // C = [[3,1,0,0],[0,2,1,0],[1,0,4,0],[0,0,0,0]]
    // IoU0 = 3/(4+4−3) = 0.6, IoU1 = 2/(3+3−2) = 0.5, IoU2 = 4/(5+5−4) = 2/3, IoU3 undefined.
    let truth = Volume<UInt8>(shape: Shape3(1, 3, 4), data: [0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 0])
    let prediction = Volume<UInt8>(shape: Shape3(1, 3, 4), data: [0, 0, 1, 1, 1, 2, 2, 2, 0, 2, 2, 0])

    func testHandWorkedConfusionAndIoU() throws {
        let c = Metrics.confusion(truth: truth, prediction: prediction, classes: 4)
        XCTAssertEqual(c.counts, [3, 1, 0, 0, 0, 2, 1, 0, 1, 0, 4, 0, 0, 0, 0, 0])
        XCTAssertEqual(c.total, 12)
        XCTAssertEqual(c[2, 0], 1)
        let iou = c.iou()
        XCTAssertEqual(iou[0]!, 0.6, accuracy: 1e-12)
        XCTAssertEqual(iou[1]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(iou[2]!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertNil(iou[3])
        // Undefined classes are left out of the mean, not counted as 0 or 1.
        XCTAssertEqual(c.miou(over: [0, 1, 2, 3])!, (0.6 + 0.5 + 2.0 / 3.0) / 3, accuracy: 1e-12)
        XCTAssertEqual(c.miou(over: [2, 3])!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertNil(c.miou(over: [3]))
        XCTAssertNil(c.miou(over: []))
    }

    func testMaskAndSliceRestriction() {
        // Masking out the last row leaves C = [[2,1,0],[0,2,1],[0,0,2]]:
        // IoU0 = 2/(3+2−2) = 2/3, IoU1 = 2/(3+3−2) = 1/2, IoU2 = 2/(2+3−2) = 2/3.
        let mask = Volume<UInt8>(shape: truth.shape, data: [1, 1, 1, 1, 7, 7, 7, 7, 0, 0, 0, 0])
        let c = Metrics.confusion(truth: truth, prediction: prediction, classes: 3, masks: [mask])
        XCTAssertEqual(c.counts, [2, 1, 0, 0, 2, 1, 0, 0, 2])
        let iou = c.iou()
        XCTAssertEqual(iou[0]!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(iou[1]!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(iou[2]!, 2.0 / 3.0, accuracy: 1e-12)
        // Two masks intersect; z restricts to slices.
        let stacked = Volume<UInt8>(shape: Shape3(3, 1, 4), data: truth.data)
        let stackedPred = Volume<UInt8>(shape: Shape3(3, 1, 4), data: prediction.data)
        let m1 = Volume<UInt8>(shape: Shape3(3, 1, 4), data: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        let m2 = Volume<UInt8>(shape: Shape3(3, 1, 4), data: [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
        let middle = Metrics.confusion(truth: stacked, prediction: stackedPred, classes: 3, masks: [m1, m2], z: 1..<2)
        XCTAssertEqual(middle.counts, [0, 0, 0, 0, 1, 1, 0, 0, 2])
        let first = Metrics.confusion(truth: stacked, prediction: stackedPred, classes: 3, masks: [m1, m2], z: 0..<1)
        XCTAssertEqual(first.counts, [1, 1, 0, 0, 1, 0, 0, 0, 0])
        // Slab sums add up to the whole.
        let whole = Metrics.confusion(truth: stacked, prediction: stackedPred, classes: 3, masks: [m2])
        let parts = (0..<3).map { Metrics.confusion(truth: stacked, prediction: stackedPred, classes: 3, masks: [m2], z: $0..<($0 + 1)) }
        XCTAssertEqual(parts.reduce(ConfusionMatrix(classes: 3), +), whole)
    }

    func testPerSliceConfusionsMatchSliceByCount() {
        var rng = SplitMix64(seed: 21)
        let shape = Shape3(13, 7, 9)
        let t = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.int(0, 6)) })
        let p = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.int(0, 6)) })
        let m = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.unit() < 0.5 ? 1 : 0) })
        let slices = Metrics.confusionPerSlice(truth: t, prediction: p, classes: 7, masks: [m])
        XCTAssertEqual(slices.count, 13)
        for z in 0..<13 {
            var c = ConfusionMatrix(classes: 7)
            for y in 0..<7 { for x in 0..<9 where m[z, y, x] != 0 { c[Int(t[z, y, x]), Int(p[z, y, x])] += 1 } }
            XCTAssertEqual(slices[z], c, "slice \(z)")
        }
        XCTAssertEqual(slices.reduce(ConfusionMatrix(classes: 7), +), Metrics.confusion(truth: t, prediction: p, classes: 7, masks: [m]))
    }

    func testHandWorkedVolumeFractions() {
        // Non-background voxels: cell ×3, mitochondrion ×2, alpha ×3, core ×1 = 9.
        let labels = Volume<UInt8>(shape: Shape3(1, 3, 4), data: [0, 1, 1, 1, 2, 2, 4, 4, 4, 6, 0, 0])
        let f = Metrics.volumeFractions(labels, schema: .platelet)
        XCTAssertEqual(f.count, 7)
        XCTAssertNil(f[0]); XCTAssertNil(f[1])
        XCTAssertEqual(f[2]!, 2.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(f[3]!, 0, accuracy: 1e-12)
        XCTAssertEqual(f[4]!, 3.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(f[5]!, 0, accuracy: 1e-12)
        XCTAssertEqual(f[6]!, 1.0 / 9, accuracy: 1e-12)
        // A cell mask over the first 8 voxels: 7 non-background, 2 mitochondrion, 2 alpha.
        let cell = Volume<UInt8>(shape: labels.shape, data: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0])
        let g = Metrics.volumeFractions(labels, schema: .platelet, cellMask: cell)
        XCTAssertEqual(g[2]!, 2.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(g[4]!, 2.0 / 7, accuracy: 1e-12)
        XCTAssertEqual(g[6]!, 0, accuracy: 1e-12)
        // Nothing labeled in the region: undefined.
        let empty = Volume<UInt8>(shape: labels.shape, repeating: 0)
        XCTAssertTrue(Metrics.volumeFractions(labels, schema: .platelet, masks: [empty]).allSatisfy { $0 == nil })
    }

    /// Random volumes with absent classes, two masks and a z-range, checked against a direct
    /// voxel-by-voxel count.
    func testAgainstBruteForceOnRandomVolumes() {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<12 {
            let shape = Shape3(rng.int(1, 9), rng.int(1, 23), rng.int(1, 31))
            let classes = 7
            // Class 3 never occurs, class 5 only in the prediction.
            let truthClasses: [UInt8] = [0, 0, 1, 2, 4, 6], predClasses: [UInt8] = [0, 1, 1, 2, 4, 5, 6]
            let t = Volume(shape: shape, data: (0..<shape.count).map { _ in truthClasses[rng.int(0, truthClasses.count - 1)] })
            let p = Volume(shape: shape, data: (0..<shape.count).map { i in
                rng.unit() < 0.6 ? t.data[i] : predClasses[rng.int(0, predClasses.count - 1)]
            })
            let m1 = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.unit() < 0.8 ? rng.int(1, 255) : 0) })
            let m2 = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.unit() < 0.7 ? 1 : 0) })
            let z0 = rng.int(0, shape.z - 1), z1 = rng.int(z0 + 1, shape.z)
            let zr: Range<Int>? = trial % 3 == 0 ? nil : z0..<z1

            var reference = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
            var hist = [Int](repeating: 0, count: 256)
            for z in (zr ?? 0..<shape.z) {
                for y in 0..<shape.y {
                    for x in 0..<shape.x where m1[z, y, x] != 0 && m2[z, y, x] != 0 {
                        reference[Int(t[z, y, x])][Int(p[z, y, x])] += 1
                        hist[Int(p[z, y, x])] += 1
                    }
                }
            }
            let c = Metrics.confusion(truth: t, prediction: p, classes: classes, masks: [m1, m2], z: zr)
            for a in 0..<classes { for b in 0..<classes { XCTAssertEqual(c[a, b], reference[a][b], "trial \(trial) C[\(a)][\(b)]") } }
            XCTAssertEqual(Array(Metrics.histogram(p, masks: [m1, m2], z: zr)), hist)

            // IoU from the reference counts, written out independently.
            for j in 0..<classes {
                var inter = 0, union = 0
                for a in 0..<classes { for b in 0..<classes where a == j || b == j { union += reference[a][b] } }
                inter = reference[j][j]
                let iou = c.iou()[j]
                if union == 0 { XCTAssertNil(iou, "class \(j)") } else { XCTAssertEqual(iou!, Double(inter) / Double(union), accuracy: 1e-12) }
            }
            XCTAssertNil(c.iou()[3], "class 3 is absent from both")

            // Volume fractions of the prediction within m1∩m2: organelle voxels / non-background voxels.
            let f = Metrics.volumeFractions(p, schema: .platelet, masks: [m1, m2], z: zr)
            let nonBackground = (1..<7).reduce(0) { $0 + hist[$1] }
            for j in 2..<7 {
                if nonBackground == 0 { XCTAssertNil(f[j]) } else { XCTAssertEqual(f[j]!, Double(hist[j]) / Double(nonBackground), accuracy: 1e-12) }
            }
        }
    }

    func testPairwiseMatchesPairConfusions() {
        var rng = SplitMix64(seed: 7)
        let shape = Shape3(5, 17, 19)
        func random() -> Volume<UInt8> { Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.int(0, 6)) }) }
        let a = random(), b = random(), c = random()
        let maskB = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.unit() < 0.5 ? 1 : 0) })
        let sources = [LabelSource(name: "a", role: .truth, labels: a),
                       LabelSource(name: "b", role: .annotator, labels: b, mask: maskB),
                       LabelSource(name: "c", role: .algorithm, labels: c)]
        let pw = Metrics.pairwise(sources, schema: .platelet)
        XCTAssertEqual(pw.names, ["a", "b", "c"])
        for i in 0..<3 {
            XCTAssertEqual(pw.miouOrg[i][i], 1.0)
            XCTAssertEqual(pw.miouAll[i][i], 1.0)
            for j in 0..<3 {
                XCTAssertEqual(pw.miouOrg[i][j], pw.miouOrg[j][i])
                let masks = [sources[i].mask, sources[j].mask].compactMap { $0 }
                let cm = Metrics.confusion(truth: sources[i].labels, prediction: sources[j].labels, classes: 7, masks: masks)
                XCTAssertEqual(pw.miouOrg[i][j]!, cm.miou(over: [2, 3, 4, 5, 6])!, accuracy: 1e-12)
                XCTAssertEqual(pw.miouAll[i][j]!, cm.miou(over: Array(0..<7))!, accuracy: 1e-12)
            }
        }
        // b's mask applies to its pairs: a vs b counts only b's labeled voxels.
        let ab = Metrics.confusion(truth: a, prediction: b, classes: 7, masks: [maskB])
        XCTAssertEqual(ab.total, maskB.data.filter { $0 != 0 }.count)
    }

    func testBinarySweepAgainstBruteForce() {
        var rng = SplitMix64(seed: 3)
        let shape = Shape3(4, 9, 11)
        var p0 = (0..<shape.count).map { _ in rng.unit() }
        p0[0] = 0.5; p0[1] = 1; p0[2] = 0; p0[3] = 0.9   // exactly on thresholds
        let truth = Volume(shape: shape, data: (0..<shape.count).map { i in UInt8(p0[i] < 0.5 ? rng.int(1, 6) : (rng.unit() < 0.2 ? 2 : 0)) })
        let probs = ProbabilitySource(name: "p", classes: 2, shape: shape, data: p0 + p0.map { 1 - $0 })
        let thresholds = [1.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]   // any order
        let sweep = Metrics.binarySweep(probabilities: probs, truth: truth, thresholds: thresholds)
        XCTAssertEqual(sweep.map(\.threshold), thresholds)
        for (t, miou) in sweep {
            var c = [[0, 0], [0, 0]]
            for i in 0..<shape.count {
                let fg = 1.0 - Double(p0[i]) >= t ? 1 : 0
                c[truth.data[i] != 0 ? 1 : 0][fg] += 1
            }
            var ious: [Double] = []
            for j in 0..<2 {
                let union = c[j][0] + c[j][1] + c[0][j] + c[1][j] - c[j][j]
                if union > 0 { ious.append(Double(c[j][j]) / Double(union)) }
            }
            XCTAssertEqual(miou!, ious.reduce(0, +) / Double(ious.count), accuracy: 1e-12, "t = \(t)")
        }
        // At t = 0 everything is foreground, so background IoU is 0 and MIoU = IoU(fg) / 2.
        let fgVoxels = truth.data.filter { $0 != 0 }.count
        XCTAssertEqual(sweep[1].miou!, Double(fgVoxels) / Double(shape.count) / 2, accuracy: 1e-12)

        // With a mask, only the masked voxels count: the same as the sweep of the masked-out copy.
        let mask = Volume(shape: shape, data: (0..<shape.count).map { _ in UInt8(rng.unit() < 0.6 ? 1 : 0) })
        let masked = Metrics.binarySweep(probabilities: probs, truth: truth, thresholds: thresholds, masks: [mask])
        let kept = (0..<shape.count).filter { mask.data[$0] != 0 }
        let keptShape = Shape3(1, 1, kept.count)
        let keptProbs = ProbabilitySource(name: "k", classes: 1, shape: keptShape, data: kept.map { p0[$0] })
        let keptTruth = Volume(shape: keptShape, data: kept.map { truth.data[$0] })
        let reference = Metrics.binarySweep(probabilities: keptProbs, truth: keptTruth, thresholds: thresholds)
        for (a, b) in zip(masked, reference) { XCTAssertEqual(a.miou!, b.miou!, accuracy: 1e-12) }
        XCTAssertNotEqual(masked[6].miou!, sweep[6].miou!, accuracy: 1e-9)
    }

    func testConfusionSumAndSizes() {
        var a = ConfusionMatrix(classes: 2)
        a[0, 1] = 3; a[1, 1] = 4
        var b = ConfusionMatrix(classes: 2)
        b[0, 1] = 1; b[1, 0] = 2
        let s = a + b
        XCTAssertEqual(s.counts, [0, 4, 2, 4])
        XCTAssertEqual(s.total, 10)
        XCTAssertEqual(s.truthCount(1), 6)
        XCTAssertEqual(s.predictedCount(1), 8)
    }

    func testSlabsCoverTheRangeOnce() {
        for n in [0, 1, 3, 8, 50, 251] {
            let slabs = Parallel.slabs(5..<(5 + n))
            XCTAssertEqual(slabs.reduce(0) { $0 + $1.count }, n)
            XCTAssertTrue(slabs.allSatisfy { !$0.isEmpty })
            for (a, b) in zip(slabs, slabs.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
        }
    }
}
