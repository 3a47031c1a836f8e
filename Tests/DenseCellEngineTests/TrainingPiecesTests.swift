import XCTest
import DenseCellCore
@testable import DenseCellIO
@testable import DenseCellEngine

/// The loss weights, augmentations, optimizer and window sampler of training, checked against
/// scipy (fixture) and hand-worked values.
final class TrainingPiecesTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/loss-weights.h5").path

    func testLossWeightsMatchScipy() throws {
        let file = try HDF5File(path: Self.fixture)
        let labels = try VolumeReader.readHDF5(file, "/labels").asLabels(LabelMapping(classCount: 7))
        let expected = try file.readArray("/weights", as: .float32, of: Float.self).data
        let cb = try file.readArray("/class_balancing", as: .float32, of: Float.self).data
        let ours = LossWeights.classBalancing(labels, classes: 7)
        for (a, b) in zip(ours, cb) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let w = LossWeights.weights(for: labels, schema: .platelet)
        var worst: Float = 0
        for (a, b) in zip(w.data, expected) { worst = max(worst, abs(a - b)) }
        XCTAssertLessThan(worst, 1e-4, "max abs difference to scipy")
        XCTAssertGreaterThan(w.data.max()!, 1.0, "edges are up-weighted")
    }

    func testRectifier() {
        XCTAssertEqual(LossWeights.rectify([0, 0.25, 0.5, 1], alpha: 0.25), [0, 0, Float(0.25 / 0.75), 1])
        XCTAssertEqual(LossWeights.rectify([0.1, 0.2], alpha: 0.25), [0, 0])
    }

    func testElasticDeformation() {
        var rng = SystemRandomNumberGenerator()
        let still = ElasticDeformation(height: 30, width: 40, sigma: 0, using: &rng)
        let image = Volume(shape: Shape3(2, 30, 40), data: (0..<2400).map { Float($0 % 97) })
        XCTAssertEqual(still.apply(image: image), image, "σ = 0 is the identity")
        var seeded = SplitMix64(seed: 3)
        let d = ElasticDeformation(height: 384, width: 384, sigma: 3, using: &seeded)
        XCTAssertTrue(d.isFoldFree)
        XCTAssertGreaterThan(d.field.map { abs($0) }.max()!, 0.5)
        // Labels move with the image: a constant shift field moves both the same way.
        var shift = still
        for i in stride(from: 0, to: shift.field.count, by: 2) { shift.field[i] = 2; shift.field[i + 1] = -1 }
        let labels = Volume(shape: Shape3(1, 30, 40), data: (0..<1200).map { UInt8($0 % 7) })
        let moved = shift.apply(labels: labels)
        XCTAssertEqual(moved[0, 5, 9], labels[0, 7, 8])
        let img = Volume(shape: Shape3(1, 30, 40), data: labels.data.map(Float.init))
        XCTAssertEqual(shift.apply(image: img)[0, 5, 9], img[0, 7, 8])
    }

    func testFlipsAndIntensity() {
        var a = WindowAugmentation()
        a.flipY = true; a.contrast = 2; a.brightness = 0.5
        let v = Volume(shape: Shape3(1, 2, 2), data: [Float(1), 2, 3, 4])
        XCTAssertEqual(a.apply(image: v).data, [6.5, 8.5, 2.5, 4.5])
        XCTAssertEqual(a.flip(Volume(shape: Shape3(1, 2, 2), data: [UInt8(1), 2, 3, 4])).data, [3, 4, 1, 2])
    }

    func testAdamMatchesHandComputation() {
        var p: [Float] = [1, -1]
        var s = AdamState(count: 2)
        let sched = AdamSchedule()
        s.step(&p, gradient: [0.5, -2], t: 0, schedule: sched)
        // First bias-corrected step moves each parameter by ≈ lr·sign(g).
        XCTAssertEqual(p[0], 1 - 1e-3, accuracy: 1e-6)
        XCTAssertEqual(p[1], -1 + 1e-3, accuracy: 1e-6)
        XCTAssertEqual(sched.rate(at: 2511), 1e-3)
        XCTAssertEqual(sched.rate(at: 2512), 0.75e-3, accuracy: 1e-12)
        XCTAssertEqual(sched.rate(at: 5025), 0.5625e-3, accuracy: 1e-12)
    }

    func testCosineScheduleWarmsUpAndDecays() {
        var base = AdamSchedule()
        base.decay = .cosine
        let s = base.over(steps: 500)   // warm-up over 50 steps
        XCTAssertEqual(s.warmupSteps, 50)
        XCTAssertEqual(s.rate(at: 0), 1e-3 / 50, accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 24), 1e-3 / 2, accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 49), 1e-3, accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 50), 1e-3, accuracy: 1e-15)
        // Halfway through the decay: the mean of the top and the floor.
        XCTAssertEqual(s.rate(at: 50 + 449 / 2), 1e-3 * (0.05 + 0.95 * 0.5 * (1 + cos(Double.pi * 224 / 449))), accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 499), 0.05e-3, accuracy: 1e-15)
        XCTAssertEqual(base.over(steps: 5000).warmupSteps, 100)
    }

    func testTrainingWindows() {
        let s = TrainingWindows(volume: Shape3(10, 500, 450), window: Shape3(5, 300, 300), stride: Shape3(2, 100, 100))
        let corners = s.corners
        XCTAssertEqual(Set(corners.map(\.z)), [0, 2, 4, 5])
        XCTAssertEqual(Set(corners.map(\.y)), [0, 100, 200])
        XCTAssertEqual(Set(corners.map(\.x)), [0, 100, 150])
        XCTAssertEqual(corners.count, 4 * 3 * 3)
        var r1 = SplitMix64(seed: 1), r2 = SplitMix64(seed: 1)
        XCTAssertEqual(s.epoch(using: &r1), s.epoch(using: &r2), "same seed, same order")
    }
}


/// The loss's analytic gradient against central finite differences (in double precision).
final class LossGradientTests: XCTestCase {
    func testCrossEntropyGradient() {
        var rng = SplitMix64(seed: 11)
        let classes = 4, n = 6
        let logits = (0..<(classes * n)).map { _ in Float.random(in: -2...2, using: &rng) }
        let labels = (0..<n).map { _ in UInt8.random(in: 0..<UInt8(classes), using: &rng) }
        let weights = (0..<n).map { _ in Float.random(in: 0.01...2, using: &rng) }
        let (_, grad) = MultiLoss.crossEntropy(logits: logits, classes: classes, labels: labels, weights: weights, scale: 0.33)
        for i in logits.indices {
            let h: Float = 1e-2
            var up = logits, down = logits
            up[i] += h; down[i] -= h
            let lu = MultiLoss.crossEntropy(logits: up, classes: classes, labels: labels, weights: weights, scale: 0.33).loss
            let ld = MultiLoss.crossEntropy(logits: down, classes: classes, labels: labels, weights: weights, scale: 0.33).loss
            let numeric = (lu - ld) / Double(2 * h)
            XCTAssertEqual(Double(grad[i]), numeric, accuracy: 1e-3 * max(1, abs(numeric)), "logit \(i)")
        }
    }

    /// Soft Dice, and Dice + weighted-mean cross-entropy as the default loss computes it, against
    /// central finite differences; labels leave one class absent, as windows often do.
    func testDiceAndDiceCEGradients() {
        var rng = SplitMix64(seed: 12)
        let classes = 4, n = 7
        let logits = (0..<(classes * n)).map { _ in Float.random(in: -2...2, using: &rng) }
        let labels = (0..<n).map { _ in UInt8.random(in: 0..<UInt8(classes - 1), using: &rng) }
        let weights = labels.map { [Float(1), 3, 0.5][Int($0)] }
        var loss = MultiLoss()
        loss.kind = .diceCE
        let losses: [(String, ([Float]) -> (loss: Double, gradient: [Float]))] = [
            ("dice", { MultiLoss.dice(logits: $0, classes: classes, labels: labels, scale: 0.33) }),
            ("dice-ce", { loss.headLoss(logits: $0, classes: classes, labels: labels, weights: weights, scale: 0.33) }),
        ]
        for (name, f) in losses {
            let grad = f(logits).gradient
            for i in logits.indices {
                let h: Float = 1e-2
                var up = logits, down = logits
                up[i] += h; down[i] -= h
                let numeric = (f(up).loss - f(down).loss) / Double(2 * h)
                XCTAssertEqual(Double(grad[i]), numeric, accuracy: 2e-3 * max(0.01, abs(numeric)) + 1e-5, "\(name), logit \(i)")
            }
        }
    }

    func testDiceValueByHand() {
        // Two classes, two voxels labeled 0 and 1, softmax (3/4, 1/4) and (1/4, 3/4):
        // I = 3/4 and S = 2 for both classes → Dice 0.75 each, loss 0.25.
        let l = Float(log(3.0))
        let r = MultiLoss.dice(logits: [l, 0, 0, l], classes: 2, labels: [0, 1])
        XCTAssertEqual(r.loss, 0.25, accuracy: 1e-5)
        // The weighted mean: labels 0 and 1 with weights 1 and 3, probabilities of the truth 3/4 each.
        var ce = MultiLoss(); ce.kind = .crossEntropy
        XCTAssertEqual(ce.headLoss(logits: [l, 0, 0, l], classes: 2, labels: [0, 1], weights: [1, 3], scale: 1).loss,
                       -log(0.75), accuracy: 1e-6)
        // The mean losses carry no L2 terms; the paper's does.
        var g: [Float] = [0]
        XCTAssertEqual(ce.regularization([2], group: .encoderDecoder, gradient: &g), 0)
        XCTAssertEqual(g, [0])
    }

    func testTemperedClassWeights() {
        // 100 voxels of class 0, 25 of class 1, 1 of class 2, none of class 3: 1, 2, min(10, √100).
        let labels = Volume(shape: Shape3(1, 1, 126), data: [UInt8](repeating: 0, count: 100) + [UInt8](repeating: 1, count: 25) + [2])
        XCTAssertEqual(LossWeights.tempered(labels, classes: 4), [1, 2, 10, 0])
        XCTAssertEqual(LossWeights.tempered(labels, classes: 4, cap: 5), [1, 2, 5, 0])
        let w = LossWeights.weights(for: labels, schema: .platelet, kind: .diceCE)
        XCTAssertEqual(w.data[0], 1); XCTAssertEqual(w.data[100], 2); XCTAssertEqual(w.data[125], 10)
    }

    func testLossValueByHand() {
        // Two classes, logits (0, ln 3): p = (1/4, 3/4). Label 1, weight 2 → 2·(−ln 3/4).
        let r = MultiLoss.crossEntropy(logits: [0, Float(log(3.0))], classes: 2, labels: [1], weights: [2])
        XCTAssertEqual(r.loss, -2 * log(0.75), accuracy: 1e-6)
        XCTAssertEqual(r.gradient[0], 2 * 0.25, accuracy: 1e-6)
        XCTAssertEqual(r.gradient[1], 2 * (0.75 - 1), accuracy: 1e-6)
    }

    func testMultilossAndRegularization() {
        let loss = MultiLoss()
        let logits: [Float] = [0.2, -0.1, 0.5, 0.3]
        let r = loss.dataLoss(logits2D: logits, logits3D: logits, classes: 2, labels: [0, 1], weights: [1, 1])
        let single = MultiLoss.crossEntropy(logits: logits, classes: 2, labels: [0, 1], weights: [1, 1]).loss
        XCTAssertEqual(r.loss, single * 1.33, accuracy: 1e-6)
        var off = loss; off.multiloss = false
        XCTAssertNil(off.dataLoss(logits2D: logits, logits3D: logits, classes: 2, labels: [0, 1], weights: [1, 1]).grad2D)
        var g: [Float] = [0, 0]
        let l2 = loss.regularization([1, -2], group: .encoderDecoder, gradient: &g)
        XCTAssertEqual(l2, Double(loss.lambda2D) * 5, accuracy: 1e-12)
        XCTAssertEqual(g, [2 * loss.lambda2D, -4 * loss.lambda2D])
    }
}
