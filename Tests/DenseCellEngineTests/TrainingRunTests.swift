import XCTest
import DenseCellCore
import DenseCellIO
@testable import DenseCellEngine

/// The real network trained by `TrainingRun`: it learns, its checkpoint is a model file the
/// engine loads with the evaluation it reports, and `--resume` continues where it stopped.
final class TrainingRunTests: XCTestCase {
    func phantom(_ shape: Shape3, seed: UInt64) -> (Volume<Float>, Volume<UInt8>) {
        let s = Phantom.generate(shape: shape, seed: seed)
        return (s.image, s.labels.first { $0.name == "truth" }!.labels)
    }

    func testNetworkLearnsAWindow() throws {
        let (image, labels) = phantom(Shape3(5, 32, 32), seed: 3)
        let net = try TrainingNetwork(model: NetworkModel.random(Architecture(width: 8), seed: 1), window: image.shape)
        var config = TrainingConfig()
        config.steps = 80; config.window = image.shape; config.evalInterval = 1000; config.elasticSigma = 0
        let trainer = Trainer(network: net, image: image, labels: labels, schema: .platelet, config: config)
        var losses: [Double] = []
        trainer.stepDone = { _, loss in losses.append(loss) }
        _ = try trainer.run()
        XCTAssertEqual(losses.count, 80)
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, 0.85 * first, "loss \(first) → \(last)")
    }

    func testCheckpointLogAndResume() throws {
        let dir = NSTemporaryDirectory() + "densecell-trainrun-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (trainImage, trainLabels) = phantom(Shape3(6, 48, 48), seed: 1)
        let (evalImage, evalLabels) = phantom(Shape3(5, 32, 32), seed: 2)
        var config = TrainingConfig()
        config.steps = 4; config.window = Shape3(5, 32, 32); config.stride = Shape3(2, 16, 16); config.evalInterval = 2
        let arch = Architecture(width: 4)
        let run = TrainingRun(architecture: arch, seed: 9, config: config, directory: dir)
        _ = try run.run(trainImage: trainImage, trainLabels: trainLabels, evalImage: evalImage, evalLabels: evalLabels, resume: false)

        let model = try NetworkModel.load(path: run.modelPath)
        XCTAssertEqual(model.seed, 9)
        XCTAssertTrue([2, 4].contains(model.steps))
        XCTAssertFalse(model.evalMiouAll.isNaN)
        // The MIoU in the file is what the saved weights score when evaluated again.
        let again = try TrainingRun.evaluate(model, image: evalImage, truth: evalLabels, schema: .platelet, window: config.window)
        XCTAssertEqual(again.all!, model.evalMiouAll, accuracy: 1e-9)
        XCTAssertEqual(again.org ?? .nan, model.evalMiouOrg, accuracy: 1e-9)
        var csv = try String(contentsOfFile: run.logPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first.map(String.init), TrainingRecord.csvHeader)
        XCTAssertEqual(csv.dropFirst().map { $0.split(separator: ",")[0] }, ["2", "4"])
        // The best line of the log is the checkpoint.
        let best = csv.dropFirst().map { Double($0.split(separator: ",")[4])! }.max()!
        XCTAssertEqual(best, model.evalMiouAll, accuracy: 1e-5)

        // Resume to 6 steps: continues at step 4 from the saved weights and optimizer.
        let saved = try ResumeState.read(path: run.statePath)
        XCTAssertEqual(saved.step, 4)
        XCTAssertEqual(saved.adam.count, 2 * arch.layers.count)
        XCTAssertGreaterThan(saved.adam[0].v.max()!, 0)
        config.steps = 6
        let resumed = TrainingRun(architecture: arch, seed: 9, config: config, directory: dir)
        _ = try resumed.run(trainImage: trainImage, trainLabels: trainLabels, evalImage: evalImage, evalLabels: evalLabels, resume: true)
        csv = try String(contentsOfFile: run.logPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.dropFirst().map { $0.split(separator: ",")[0] }, ["2", "4", "6"])
        XCTAssertEqual(try ResumeState.read(path: run.statePath).step, 6)

        // A different architecture cannot resume from this state.
        let other = TrainingRun(architecture: Architecture(width: 6), seed: 9, config: config, directory: dir)
        XCTAssertThrowsError(try other.run(trainImage: trainImage, trainLabels: trainLabels, evalImage: evalImage,
                                           evalLabels: evalLabels, resume: true))
    }

    /// Stopping at an evaluation in the middle of an epoch and resuming gives bit for bit the
    /// weights, optimizer state, checkpoint and log of the run that never stopped: window order,
    /// augmentation draws, the epoch's elastic deformation, Adam's step and the learning-rate
    /// schedule all continue where they were.
    func testResumedRunEqualsUninterruptedRun() throws {
        let base = NSTemporaryDirectory() + "densecell-resume-\(getpid())"
        try? FileManager.default.removeItem(atPath: base)
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (trainImage, trainLabels) = phantom(Shape3(6, 48, 48), seed: 4)
        let (evalImage, evalLabels) = phantom(Shape3(5, 32, 32), seed: 5)
        var config = TrainingConfig()
        // 2 × 3 × 3 = 18 windows an epoch; 24 steps cross into a second epoch (a new deformation),
        // and the stop at step 10 falls in the middle of the first.
        config.window = Shape3(5, 24, 24); config.stride = Shape3(1, 12, 12)
        config.steps = 24; config.evalInterval = 10; config.seed = 11
        config.schedule.decay = .staircase   // the cosine follows --steps, which the stopped run had fewer of
        config.schedule.decaySteps = 7   // the rate changes on both sides of the stop
        let arch = Architecture(width: 4)
        func run(_ name: String, steps: [Int]) throws -> (ResumeState, NetworkModel, [String]) {
            let dir = base + "/" + name
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            var last: TrainingRun!
            for (i, n) in steps.enumerated() {
                var c = config
                c.steps = n
                last = TrainingRun(architecture: arch, seed: 3, config: c, directory: dir)
                _ = try last.run(trainImage: trainImage, trainLabels: trainLabels, evalImage: evalImage,
                                 evalLabels: evalLabels, resume: i > 0)
            }
            let log = try String(contentsOfFile: last.logPath, encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",").dropLast().joined(separator: ",") }   // all but steps/s
            return (try ResumeState.read(path: last.statePath), try NetworkModel.load(path: last.modelPath), log)
        }
        let (straight, straightBest, straightLog) = try run("straight", steps: [24])
        let (resumed, resumedBest, resumedLog) = try run("resumed", steps: [10, 24])

        XCTAssertEqual(straight.step, 24)
        XCTAssertEqual(resumed.position, straight.position)
        XCTAssertEqual(Set(resumed.model.weights.keys), Set(arch.layers.map(\.name)))
        for layer in arch.layers {
            let a = straight.model.weights[layer.name]!, b = resumed.model.weights[layer.name]!
            XCTAssertEqual(a.kernel.map(\.bitPattern), b.kernel.map(\.bitPattern), layer.name)
            XCTAssertEqual(a.bias.map(\.bitPattern), b.bias.map(\.bitPattern), layer.name)
        }
        XCTAssertEqual(straight.adam.count, resumed.adam.count)
        for (a, b) in zip(straight.adam, resumed.adam) {
            XCTAssertEqual(a.m.map(\.bitPattern), b.m.map(\.bitPattern))
            XCTAssertEqual(a.v.map(\.bitPattern), b.v.map(\.bitPattern))
        }
        // The best checkpoint and the log: the same evaluations at the same steps.
        XCTAssertEqual(straightBest.steps, resumedBest.steps)
        XCTAssertEqual(straightBest.evalMiouAll, resumedBest.evalMiouAll)
        XCTAssertEqual(straightBest.weights["pred3d"]!.kernel, resumedBest.weights["pred3d"]!.kernel)
        XCTAssertEqual(straightLog, resumedLog)
        XCTAssertEqual(straightLog.count, 4)   // header, steps 10, 20, 24
    }

}
