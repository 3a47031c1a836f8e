import DenseCellCore
import Foundation

/// One tensor of trainable values with its gradient and its L2 group.
final class TrainableParameter {
    let name: String
    let group: MultiLoss.Group
    var values: [Float]
    var gradient: [Float]
    init(name: String, group: MultiLoss.Group, values: [Float]) {
        self.name = name; self.group = group; self.values = values
        gradient = [Float](repeating: 0, count: values.count)
    }
}

/// What the trainer needs from a network: a forward pass that keeps what the backward pass
/// needs, the backward pass, and its parameters.
protocol TrainableNetwork: AnyObject {
    var classes: Int { get }
    var parameters: [TrainableParameter] { get }
    /// Logits channels-first (classes, z, y, x) of both heads for one normalized window;
    /// `logits2D` is nil for a network without the 3-D pyramid (its output is the 2-D head).
    func forwardForTraining(_ window: Volume<Float>) throws -> (logits2D: [Float]?, logits3D: [Float])
    /// Back-propagates the logit gradients of the last forward pass, overwriting every
    /// parameter's `gradient`.
    func backward(grad2D: [Float]?, grad3D: [Float]) throws
    /// Called after the optimizer changed `values`.
    func parametersDidChange()
}

/// The knobs of one training instance (docs/ARCHITECTURE.md, "Training").
public struct TrainingConfig: Sendable {
    /// Training steps (one window each).
    public var steps = 2000
    /// Training window (z, y, x); y and x multiples of 4.
    public var window = Shape3(5, 300, 300)
    /// Spacing of window corners within an epoch.
    public var stride = Shape3(2, 100, 100)
    /// Steps between evaluations (and saves of the resume state).
    public var evalInterval = 250
    /// Seeds the augmentation generator.
    public var seed: UInt64 = 0
    /// Standard deviation in pixels of the elastic deformation's control-point displacements.
    public var elasticSigma = 3.0
    /// Control points per axis of the elastic deformation.
    var elasticGrid = 20
    /// A run whose best MIoU(all) stays below this after `minimumMIoUEpochs` epochs stops early.
    var minimumMIoU = 0.3
    /// Epochs a run gets before `minimumMIoU` is checked.
    var minimumMIoUEpochs = 10
    /// The loss's kind, coefficients and the multi-loss switch.
    public var loss = MultiLoss()
    var schedule = AdamSchedule()
    /// How the learning rate changes over the run.
    public var decay: LearningRateDecay {
        get { schedule.decay }
        set { schedule.decay = newValue }
    }
    /// The paper's recipe: its weighted loss and its staircase decay (measured the better one on
    /// phantoms at equal steps; README, "Training").
    public init() {}
    /// Dice + cross-entropy with tempered class weights, a warm-up and a cosine decay over the run.
    public static var diceCE: TrainingConfig {
        var c = TrainingConfig()
        c.loss.kind = .diceCE
        c.schedule.decay = .cosine
        return c
    }
}

/// A line of the training log, written at every evaluation.
public struct TrainingRecord: Sendable {
    /// Training steps and epochs done at this record.
    public var step: Int, epoch: Int
    /// Mean loss (L2 terms included) of the steps since the previous record.
    public var loss: Double
    /// The learning rate of the last step.
    var learningRate: Double
    /// MIoU(all) and MIoU(org) on the held-out volume; nil without evaluation.
    public var evalMIoUAll: Double?, evalMIoUOrg: Double?
    /// Training speed since the previous record.
    var stepsPerSecond: Double
    /// The first line of a training log.
    static let csvHeader = "step,epoch,loss,learning_rate,eval_miou_all,eval_miou_org,steps_per_second"
    /// The record as a line of the training log (no newline), with columns as in `csvHeader`.
    public var csv: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        return "\(step),\(epoch),\(f(loss)),\(f(learningRate)),\(f(evalMIoUAll)),\(f(evalMIoUOrg)),\(f(stepsPerSecond))"
    }
}

/// How a training run ended.
public enum TrainingOutcome: Sendable, Equatable {
    case finished(bestMIoUAll: Double?)
    case stoppedEarly(bestMIoUAll: Double?)   // below the minimum MIoU after the set number of epochs
    case cancelled
}

/// Where a run stands between two steps: all the trainer needs besides the weights and the
/// optimizer's moments to continue it exactly as if it had not stopped.
struct TrainingPosition: Sendable, Equatable {
    /// Steps done.
    var step = 0
    /// The epoch the next step belongs to (0-based).
    var epoch = 0
    /// The generator's state when `epoch` began, before its deformation and window order were
    /// drawn: replaying from here rebuilds the epoch.
    var epochGenerator: UInt64
    /// Windows of `epoch` already trained on.
    var windowsDone = 0
    /// The generator's state after the last step's draws.
    var generator: UInt64
    /// The best evaluation MIoU(all) so far (the one the checkpoint holds).
    var bestMIoUAll: Double?

    /// The start of a run seeded with `seed`.
    init(seed: UInt64) { epochGenerator = seed; generator = seed }

    /// - Parameters:
    ///   - step: steps done.
    ///   - epoch: the epoch of the next step.
    ///   - epochGenerator: generator state at the start of `epoch`.
    ///   - windowsDone: windows of `epoch` done.
    ///   - generator: generator state after the last step.
    ///   - bestMIoUAll: best evaluation so far.
    init(step: Int, epoch: Int, epochGenerator: UInt64, windowsDone: Int, generator: UInt64, bestMIoUAll: Double?) {
        self.step = step; self.epoch = epoch; self.epochGenerator = epochGenerator; self.windowsDone = windowsDone
        self.generator = generator; self.bestMIoUAll = bestMIoUAll
    }
}

/// Trains one instance: per-epoch elastic deformation of image, labels and weights; shuffled
/// windows with reflections and intensity jitter; the weighted multi-loss with L2 terms; Adam.
///
/// Every random draw comes from one seeded generator in a fixed order (each epoch: deformation,
/// window order, then each window's augmentation), so a run is reproducible for its seed and can
/// be continued from a `TrainingPosition`. See docs/ARCHITECTURE.md, "Training".
final class Trainer {
    let config: TrainingConfig
    let network: TrainableNetwork
    let image: Volume<Float>          // normalized (mean 0, std 1)
    let labels: Volume<UInt8>
    let weights: Volume<Float>
    var adam: [AdamState]
    /// `config.schedule` over `config.steps`.
    let schedule: AdamSchedule

    /// `evaluate` returns (MIoU all, MIoU org) of the network on held-out data; `checkpoint` is
    /// called with each new best.
    var evaluate: ((TrainableNetwork) throws -> (Double?, Double?))?
    var checkpoint: ((TrainableNetwork, TrainingRecord) throws -> Void)?
    var log: ((TrainingRecord) -> Void)?
    /// Called after every step with the step count and that step's loss.
    var stepDone: ((Int, Double) -> Void)?
    /// Called at every evaluation (after `checkpoint`) to save the state `--resume` continues
    /// from: `position` and `optimizerState` are then those after the evaluated step.
    var saveState: ((Trainer) throws -> Void)?
    var cancel: CancelToken?
    /// Seconds per phase (augment, forward, loss, backward, update, evaluate) when asked for.
    var profile: PhaseProfile?

    /// Where the run stands: set it before `run()` to continue a run; updated at every evaluation.
    var position: TrainingPosition
    /// Adam moments per parameter (in `network.parameters` order), for resuming.
    var optimizerState: [AdamState] { get { adam } set { precondition(newValue.count == adam.count); adam = newValue } }

    /// - Parameters:
    ///   - network: the network to train, holding its starting weights.
    ///   - image: the training volume (normalized here to mean 0, standard deviation 1).
    ///   - labels: its classes, same shape.
    ///   - schema: the classes, for the loss weights.
    ///   - config: steps, windows, augmentation, loss and schedule.
    init(network: TrainableNetwork, image: Volume<Float>, labels: Volume<UInt8>, schema: LabelSchema,
                config: TrainingConfig) {
        precondition(image.shape == labels.shape)
        self.network = network
        self.config = config
        let n = InputNormalization.of(image)
        self.image = image.map { ($0 - n.mean) / n.std }
        self.labels = labels
        self.weights = LossWeights.weights(for: labels, schema: schema, kind: config.loss.kind)
        adam = network.parameters.map { AdamState(count: $0.values.count) }
        schedule = config.schedule.over(steps: config.steps)
        position = TrainingPosition(seed: config.seed)
    }

    /// Trains from `position` until `config.steps`, an early stop or cancellation.
    /// - Returns: how the run ended, with the best evaluation.
    /// - Throws: what the network, `evaluate`, `checkpoint` or `saveState` throw.
    func run() throws -> TrainingOutcome {
        let s = image.shape
        let trainingWindows = TrainingWindows(volume: s, window: Shape3(min(config.window.z, s.z), min(config.window.y, s.y), min(config.window.x, s.x)),
                                                    stride: config.stride)
        let startStep = position.step
        var step = position.step, epoch = position.epoch
        var best: Double? = position.bestMIoUAll
        var rng = SplitMix64(seed: position.epochGenerator)
        // A resumed run replays its epoch's draws, then skips the windows already done.
        var resume: (windows: Int, generator: UInt64)? = position.windowsDone > 0 ? (position.windowsDone, position.generator) : nil
        var lossSum = 0.0, lossCount = 0
        let start = Date()
        profile?.restart()
        while step < config.steps {
            let epochGenerator = rng.state
            let deform = ElasticDeformation(height: s.y, width: s.x, grid: config.elasticGrid, sigma: config.elasticSigma, using: &rng)
            let epochImage = deform.apply(image: image)
            let epochLabels = deform.apply(labels: labels)
            let epochWeights = deform.apply(image: weights)
            let boxes = trainingWindows.epoch(using: &rng)
            var first = 0
            if let r = resume { first = min(r.windows, boxes.count); rng = SplitMix64(seed: r.generator); resume = nil }
            for index in first..<boxes.count {
                if cancel?.isCancelled == true { return .cancelled }
                let box = boxes[index]
                let aug = WindowAugmentation.random(using: &rng)
                let window = aug.apply(image: epochImage.extract(box))
                let target = aug.flip(epochLabels.extract(box))
                let w = aug.flip(epochWeights.extract(box))
                profile?.add("augment")
                let loss = try trainStep(window: window, labels: target.data, weights: w.data, step: step)
                lossSum += loss
                lossCount += 1
                step += 1
                stepDone?(step, loss)
                let evalNow = step % config.evalInterval == 0 || step == config.steps
                if evalNow {
                    var record = TrainingRecord(step: step, epoch: epoch, loss: lossSum / Double(max(1, lossCount)),
                                                learningRate: schedule.rate(at: step - 1), evalMIoUAll: nil, evalMIoUOrg: nil,
                                                stepsPerSecond: Double(step - startStep) / max(1e-9, Date().timeIntervalSince(start)))
                    lossSum = 0; lossCount = 0
                    if let evaluate {
                        profile?.restart()
                        (record.evalMIoUAll, record.evalMIoUOrg) = try evaluate(network)
                        profile?.add("evaluate")
                        if let m = record.evalMIoUAll, m > (best ?? -1) {
                            best = m
                            try checkpoint?(network, record)
                        }
                    }
                    position = TrainingPosition(step: step, epoch: epoch, epochGenerator: epochGenerator, windowsDone: index + 1,
                                                generator: rng.state, bestMIoUAll: best)
                    try saveState?(self)
                    log?(record)
                    profile?.add("save")
                }
                if step >= config.steps { break }
            }
            epoch += 1
            if epoch >= config.minimumMIoUEpochs, evaluate != nil, (best ?? 0) < config.minimumMIoU {
                return .stoppedEarly(bestMIoUAll: best)
            }
        }
        return .finished(bestMIoUAll: best)
    }

    /// One forward/backward/update; returns the loss including the L2 terms.
    func trainStep(window: Volume<Float>, labels: [UInt8], weights: [Float], step: Int) throws -> Double {
        let (l2D, l3D) = try network.forwardForTraining(window)
        profile?.add("forward")
        let data = config.loss.dataLoss(logits2D: l2D, logits3D: l3D, classes: network.classes, labels: labels, weights: weights)
        profile?.add("loss")
        try network.backward(grad2D: data.grad2D, grad3D: data.grad3D)
        profile?.add("backward")
        var total = data.loss
        for (i, p) in network.parameters.enumerated() {
            total += config.loss.regularization(p.values, group: p.group, gradient: &p.gradient)
            adam[i].step(&p.values, gradient: p.gradient, t: step, schedule: schedule)
        }
        network.parametersDidChange()
        profile?.add("update")
        return total
    }
}
