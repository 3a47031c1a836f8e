import XCTest
import DenseCellCore
@testable import DenseCellEngine

/// A per-voxel classifier with a hidden ReLU layer: small enough to differentiate by hand,
/// so the trainer's loop, loss and optimizer can be tested without the full network.
final class TinyNetwork: TrainableNetwork {
    let classes: Int
    let hidden = 8
    var parameters: [TrainableParameter]
    var lastInput: [Float] = [], lastHidden: [Float] = []

    init(classes: Int, seed: UInt64) {
        self.classes = classes
        var rng = SplitMix64(seed: seed)
        parameters = [
            TrainableParameter(name: "w1", group: .encoderDecoder, values: (0..<8).map { _ in Float.random(in: -1...1, using: &rng) }),
            TrainableParameter(name: "b1", group: .unregularized, values: (0..<8).map { _ in Float.random(in: -0.5...0.5, using: &rng) }),
            TrainableParameter(name: "w2", group: .predictor, values: (0..<(8 * classes)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }),
            TrainableParameter(name: "b2", group: .unregularized, values: [Float](repeating: 0, count: classes)),
        ]
    }

    func forwardForTraining(_ window: Volume<Float>) throws -> (logits2D: [Float]?, logits3D: [Float]) {
        let n = window.data.count
        lastInput = window.data
        lastHidden = [Float](repeating: 0, count: hidden * n)
        var out = [Float](repeating: 0, count: classes * n)
        let w1 = parameters[0].values, b1 = parameters[1].values, w2 = parameters[2].values, b2 = parameters[3].values
        for v in 0..<n {
            for h in 0..<hidden { lastHidden[h * n + v] = max(0, w1[h] * window.data[v] + b1[h]) }
            for c in 0..<classes {
                var s = b2[c]
                for h in 0..<hidden { s += w2[c * hidden + h] * lastHidden[h * n + v] }
                out[c * n + v] = s
            }
        }
        return (nil, out)
    }

    func backward(grad2D: [Float]?, grad3D: [Float]) throws {
        let n = lastInput.count
        for p in parameters { p.gradient = [Float](repeating: 0, count: p.values.count) }
        let w1 = parameters[0].values, b1 = parameters[1].values, w2 = parameters[2].values
        for v in 0..<n {
            for h in 0..<hidden {
                var gh: Float = 0
                for c in 0..<classes {
                    let g = grad3D[c * n + v]
                    parameters[2].gradient[c * hidden + h] += g * lastHidden[h * n + v]
                    gh += g * w2[c * hidden + h]
                }
                if w1[h] * lastInput[v] + b1[h] > 0 {
                    parameters[0].gradient[h] += gh * lastInput[v]
                    parameters[1].gradient[h] += gh
                }
            }
            for c in 0..<classes { parameters[3].gradient[c] += grad3D[c * n + v] }
        }
    }

    func parametersDidChange() {}
}

final class TrainerTests: XCTestCase {
    let schema = LabelSchema(classes: [.init(name: "bg", color: nil), .init(name: "cell", color: RGB(1, 2, 3)),
                                       .init(name: "org", color: RGB(4, 5, 6))], organelles: [2])

    /// Intensity bands decide the class; a 2-layer per-voxel network can learn that.
    func makeData(seed: UInt64) -> (Volume<Float>, Volume<UInt8>) {
        var rng = SplitMix64(seed: seed)
        let s = Shape3(4, 40, 40)
        let image = Volume(shape: s, data: (0..<s.count).map { _ in Float.random(in: 0...3, using: &rng) })
        let labels = image.map { UInt8(min(2, Int($0))) }
        return (image, labels)
    }

    func accuracy(_ net: TinyNetwork, _ image: Volume<Float>, _ labels: Volume<UInt8>) throws -> Double {
        let norm = InputNormalization.of(image)
        let logits = try net.forwardForTraining(image.map { ($0 - norm.mean) / norm.std }).logits3D
        let n = labels.data.count
        var right = 0
        for v in 0..<n {
            let best = (0..<3).max { logits[$0 * n + v] < logits[$1 * n + v] }!
            if best == Int(labels.data[v]) { right += 1 }
        }
        return Double(right) / Double(n)
    }

    func testTrainingLearnsAndLogs() throws {
        let (image, labels) = makeData(seed: 1)
        let net = TinyNetwork(classes: 3, seed: 2)
        let before = try accuracy(net, image, labels)
        var config = TrainingConfig()
        config.steps = 300
        config.window = Shape3(2, 20, 20)
        config.stride = Shape3(2, 10, 10)
        config.evalInterval = 50
        config.elasticSigma = 0.5
        config.schedule.learningRate = 0.02
        let trainer = Trainer(network: net, image: image, labels: labels, schema: schema, config: config)
        var records: [TrainingRecord] = []
        var checkpoints: [Int] = []
        trainer.evaluate = { _ in let a = try self.accuracy(net, image, labels); return (a, a) }
        trainer.checkpoint = { _, r in checkpoints.append(r.step) }
        trainer.log = { records.append($0) }
        let outcome = try trainer.run()
        let after = try accuracy(net, image, labels)
        XCTAssertGreaterThan(after, 0.8, "learned the bands (before: \(before))")
        XCTAssertEqual(records.map(\.step), [50, 100, 150, 200, 250, 300])
        XCTAssertLessThan(records.last!.loss, records.first!.loss)
        XCTAssertFalse(checkpoints.isEmpty)
        guard case .finished(let best) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(best, records.compactMap(\.evalMIoUAll).max())
        XCTAssertTrue(records[0].csv.hasPrefix("50,"))
    }

    func testSameSeedSameRun() throws {
        func run() throws -> [Float] {
            let (image, labels) = makeData(seed: 5)
            let net = TinyNetwork(classes: 3, seed: 9)
            var config = TrainingConfig()
            config.steps = 20; config.window = Shape3(2, 20, 20); config.stride = Shape3(2, 10, 10); config.seed = 4
            _ = try Trainer(network: net, image: image, labels: labels, schema: schema, config: config).run()
            return net.parameters.flatMap(\.values)
        }
        XCTAssertEqual(try run(), try run())
    }

    func testStopsEarlyBelowMinimum() throws {
        let (image, labels) = makeData(seed: 1)
        var config = TrainingConfig()
        config.steps = 10_000; config.window = Shape3(4, 40, 40); config.stride = Shape3(4, 40, 40)
        config.evalInterval = 1
        let trainer = Trainer(network: TinyNetwork(classes: 3, seed: 2), image: image, labels: labels, schema: schema, config: config)
        var evaluations = 0
        trainer.evaluate = { _ in evaluations += 1; return (0.1, 0.1) }
        XCTAssertEqual(try trainer.run(), .stoppedEarly(bestMIoUAll: 0.1))
        XCTAssertEqual(evaluations, 10, "one window per epoch, stopped after 10 epochs")
    }
}
