import DenseCellCore
import DenseCellIO
import Foundation

/// One training instance of `densecell train` (docs/ARCHITECTURE.md, "Training"): a network initialized from its seed,
/// trained on one volume and evaluated on a held-out one; the best checkpoint is a model file
/// with its evaluation MIoU in the attributes, every evaluation a CSV line, and the state at the
/// last evaluation a resume file.
public final class TrainingRun {
    /// The network trained.
    public let architecture: Architecture
    /// Seeds the initial weights (and names the files); `config.seed` seeds the augmentation.
    public let seed: Int
    /// Steps, schedule, augmentation and loss of the run.
    public let config: TrainingConfig
    /// Where the model file, the log and the resume state go.
    public let directory: String
    /// The label classes: names, the organelles of MIoU(org), the loss weights.
    public let schema: LabelSchema

    /// The best checkpoint.
    public var modelPath: String { (directory as NSString).appendingPathComponent("model-seed\(seed).h5") }
    /// One CSV line per evaluation.
    public var logPath: String { (directory as NSString).appendingPathComponent("model-seed\(seed).csv") }
    /// The held-out volume segmented by the best checkpoint, beside the models: a study with the
    /// image, `truth` and the model's labels and probabilities, for `view` and `report`. In a
    /// subdirectory, since `segment --models DIR` takes every `.h5` of DIR for a model.
    public var evaluationStudyPath: String {
        (directory as NSString).appendingPathComponent("evaluation/model-seed\(seed)-eval.h5")
    }
    /// The name the model's labels and probabilities carry in the evaluation study.
    public var predictionName: String { "model-seed\(seed)" }
    /// Not `.h5`, so a directory of models given to `segment` does not pick it up.
    var statePath: String { (directory as NSString).appendingPathComponent("model-seed\(seed).resume") }

    /// Called after every step: step, loss of that step, and the last evaluation record.
    public var progress: ((Int, Double, TrainingRecord?) -> Void)?
    /// Seconds per phase of the run (augment, forward, loss, backward, update, evaluate) when set.
    public var profile: PhaseProfile?
    /// Checked before every step; a cancelled run returns `.cancelled` and keeps its last resume state.
    public var cancel: CancelToken?

    /// - Parameters:
    ///   - architecture: the network to train.
    ///   - seed: seeds the initial weights and names the files.
    ///   - config: steps, windows, augmentation and loss.
    ///   - directory: an existing directory for the files.
    ///   - schema: the classes (names, organelles for MIoU(org) and the loss weights).
    public init(architecture: Architecture, seed: Int, config: TrainingConfig, directory: String,
                schema: LabelSchema = .platelet) {
        self.architecture = architecture; self.seed = seed; self.config = config
        self.directory = directory; self.schema = schema
    }

    /// MIoU(all) and MIoU(org) of `model` segmenting `image` against `truth`.
    /// - Parameters:
    ///   - model: the model to evaluate.
    ///   - image: the held-out volume.
    ///   - truth: its labels.
    ///   - schema: the classes; its organelles make MIoU(org).
    ///   - window: the inference window (its z shrinks to the volume's).
    /// - Returns: both MIoUs; nil where no class of the set occurs.
    /// - Throws: `EngineError` when inference fails.
    static func evaluate(_ model: NetworkModel, image: Volume<Float>, truth: Volume<UInt8>, schema: LabelSchema,
                                window: Shape3) throws -> (all: Double?, org: Double?) {
        let ensemble = try Ensemble(models: [model])
        let w = Shape3(min(window.z, image.shape.z), window.y, window.x)
        let s = try ensemble.segment(image, options: InferenceOptions(window: w))
        let m = Metrics.confusion(truth: truth, prediction: s.labels, classes: model.architecture.classes)
        return (m.miou(over: Array(0..<model.architecture.classes)), m.miou(over: schema.organelles))
    }

    /// Trains from the seed's initialization, or from the resume file when `resume` is set and
    /// one exists, continuing exactly where the saved run stood.
    /// - Parameters:
    ///   - trainImage: the training volume.
    ///   - trainLabels: its labels.
    ///   - evalImage: the held-out volume evaluated every `config.evalInterval` steps.
    ///   - evalLabels: its labels.
    ///   - resume: continue from `statePath` when it exists.
    /// - Returns: how the run ended.
    /// - Throws: `EngineError` for a resume state of another architecture or a failing network,
    ///   `IOError` when a file cannot be written.
    public func run(trainImage: Volume<Float>, trainLabels: Volume<UInt8>, evalImage: Volume<Float>,
                    evalLabels: Volume<UInt8>, resume: Bool) throws -> TrainingOutcome {
        let classNames = schema.classes.map(\.name)
        var initial = NetworkModel.random(architecture, seed: seed, classNames: classNames)
        var state: ResumeState? = nil
        if resume, FileManager.default.fileExists(atPath: statePath) {
            let s = try ResumeState.read(path: statePath)
            guard s.model.architecture == architecture else {
                throw EngineError(.badInput, "\(statePath): saved for a different architecture (width \(s.model.width)); remove it or match --width and the ablation switches")
            }
            initial = s.model
            state = s
        }
        let network = try TrainingNetwork(model: initial, window: config.window)
        let trainer = Trainer(network: network, image: trainImage, labels: trainLabels, schema: schema, config: config)
        if let state {
            guard state.adam.count == network.parameters.count else { throw EngineError(.badInput, "\(statePath): optimizer state does not match the network") }
            trainer.position = state.position
            trainer.optimizerState = state.adam
        }
        trainer.cancel = cancel
        trainer.profile = profile
        let seed = seed, window = config.window, schema = schema
        trainer.evaluate = { _ in
            let m = network.model(seed: seed, steps: 0, classNames: classNames)
            let r = try Self.evaluate(m, image: evalImage, truth: evalLabels, schema: schema, window: window)
            return (r.all, r.org)
        }
        trainer.checkpoint = { [modelPath] _, record in
            let m = network.model(seed: seed, steps: record.step, classNames: classNames,
                                  evalMiouAll: record.evalMIoUAll ?? .nan, evalMiouOrg: record.evalMIoUOrg ?? .nan)
            try m.write(path: modelPath)
        }
        trainer.saveState = { [statePath] t in
            let m = network.model(seed: seed, steps: t.position.step, classNames: classNames)
            try ResumeState(model: m, position: t.position, adam: t.optimizerState).write(path: statePath)
        }
        let log = try CSVLog(path: logPath, header: TrainingRecord.csvHeader, append: state != nil)
        var last: TrainingRecord? = nil
        trainer.log = { record in last = record; log.append(record.csv) }
        trainer.stepDone = { [progress] step, loss in progress?(step, loss, last) }
        let outcome = try trainer.run()
        if outcome != .cancelled, FileManager.default.fileExists(atPath: modelPath) {
            try writeEvaluationStudy(image: evalImage, truth: evalLabels)
        }
        return outcome
    }

    /// Segments the held-out volume with the best checkpoint and writes `evaluationStudyPath`
    /// (image, `truth`, the prediction's labels and probabilities; the log and model file named in
    /// root attributes so `report` finds the learning curves), under a temporary name renamed
    /// into place.
    /// - Parameters:
    ///   - image: the held-out volume.
    ///   - truth: its labels.
    ///   - resolutionNM: voxel size (z, y, x) in nm, when known.
    /// - Throws: `EngineError` when inference fails, `IOError` when the study cannot be written.
    public func writeEvaluationStudy(image: Volume<Float>, truth: Volume<UInt8>, resolutionNM: [Double]? = nil) throws {
        let model = try NetworkModel.load(path: modelPath)
        let ensemble = try Ensemble(models: [model])
        let w = Shape3(min(config.window.z, image.shape.z), config.window.y, config.window.x)
        let s = try ensemble.segment(image, options: InferenceOptions(window: w), wantProbabilities: true)
        try OutputDirectory.create((evaluationStudyPath as NSString).deletingLastPathComponent)
        let writer = try StudyWriter(path: evaluationStudyPath, shape: image.shape, existing: .replace)
        do {
            try writer.writeImage(image, resolutionNM: resolutionNM)
            try writer.writeLabels(LabelSource(name: "truth", role: .truth, labels: truth))
            try writer.writeLabels(LabelSource(name: predictionName, role: .algorithm, labels: s.labels))
            if let p = s.probabilities {
                try writer.writeProbabilities(ProbabilitySource(name: predictionName, classes: model.architecture.classes,
                                                                shape: image.shape, data: p))
            }
            try writer.setAttribute("/", "generator", .string("densecell train"))
            try writer.setAttribute("/", "class_names", .strings(schema.names))
            // Relative to the study, so the directory can be moved whole.
            try writer.setAttribute("/", "training_logs", .strings(["../" + (logPath as NSString).lastPathComponent]))
            try writer.setAttribute("/", "model", .string("../" + (modelPath as NSString).lastPathComponent))
            try writer.setAttribute("/", "model_steps", .ints([model.steps]))
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
    }
}

/// Append-only CSV log, flushed line by line so a running job can be followed.
final class CSVLog {
    let handle: FileHandle
    init(path: String, header: String, append: Bool) throws {
        let fm = FileManager.default
        if !append || !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: Data((header + "\n").utf8)) else {
                throw IOError(.writeFailed, file: path, "cannot create the training log")
            }
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw IOError(.writeFailed, file: path, "cannot open the training log") }
        h.seekToEndOfFile()
        handle = h
    }
    func append(_ line: String) { handle.write(Data((line + "\n").utf8)) }
    deinit { try? handle.close() }
}

/// What `--resume` continues from: the weights at the last evaluation (a model file), the
/// trainer's position (step, epoch, where in the epoch, generator states, best MIoU) and Adam's
/// moments.
struct ResumeState {
    var model: NetworkModel
    var position: TrainingPosition
    var adam: [AdamState]

    var step: Int { position.step }

    /// Writes the state as a model file with the position in root attributes and the moments
    /// under `/adam`, under a temporary name renamed into place.
    /// - Parameter path: the resume file.
    /// - Throws: `IOError` when the file cannot be written.
    func write(path: String) throws {
        let tmp = AtomicFile.temporaryPath(for: path)
        try model.write(path: tmp)
        // Nothing half-written is left behind.
        var done = false
        defer { if !done { unlink(tmp) } }
        do {   // the file closes at the end of this scope, before the rename
            let file = try HDF5File(path: tmp, mode: .readWrite)
            let p = position
            try file.setAttribute("/", "resume_step", .ints([p.step]))
            try file.setAttribute("/", "resume_epoch", .ints([p.epoch]))
            try file.setAttribute("/", "resume_best_miou_all", .doubles([p.bestMIoUAll ?? .nan]))
            try file.setAttribute("/", "resume_generator", .ints([Int(bitPattern: UInt(p.generator))]))
            try file.setAttribute("/", "resume_epoch_generator", .ints([Int(bitPattern: UInt(p.epochGenerator))]))
            try file.setAttribute("/", "resume_windows_done", .ints([p.windowsDone]))
            for (i, a) in adam.enumerated() {
                try file.writeArray("/adam/\(i)/m", dims: [a.m.count], data: a.m, memoryType: .float32)
                try file.writeArray("/adam/\(i)/v", dims: [a.v.count], data: a.v, memoryType: .float32)
            }
            try file.flush()
        }
        try AtomicFile.moveIntoPlace(tmp, as: path)
        done = true
    }

    /// Reads a resume file. Files written before the position within the epoch was kept continue
    /// at the start of a new epoch drawn from the saved generator, as they always did.
    /// - Parameter path: the resume file.
    /// - Returns: the saved state.
    /// - Throws: `EngineError` or `IOError` for a file that is not a resume file.
    static func read(path: String) throws -> ResumeState {
        let model = try NetworkModel.load(path: path)
        let file = try HDF5File(path: path)
        func int(_ name: String) throws -> Int {
            guard let v = file.attribute("/", name)?.intValues?.first else {
                throw IOError(.corrupt, file: path, "missing attribute \(name) (not a resume file?)")
            }
            return v
        }
        func generator(_ name: String) throws -> UInt64 { UInt64(UInt(bitPattern: try int(name))) }
        let step = try int("resume_step"), epoch = try int("resume_epoch")
        let current = try generator("resume_generator")
        let best = file.attribute("/", "resume_best_miou_all")?.doubleValues?.first.flatMap { $0.isNaN ? nil : $0 }
        var position = TrainingPosition(step: step, epoch: epoch, epochGenerator: current, windowsDone: 0,
                                        generator: current, bestMIoUAll: best)
        if file.attribute("/", "resume_windows_done") != nil {
            position.epochGenerator = try generator("resume_epoch_generator")
            position.windowsDone = try int("resume_windows_done")
        }
        var adam: [AdamState] = []
        var i = 0
        while file.isDataset("/adam/\(i)/m") {
            var a = AdamState(count: 0)
            a.m = try file.readArray("/adam/\(i)/m", as: .float32, of: Float.self).data
            a.v = try file.readArray("/adam/\(i)/v", as: .float32, of: Float.self).data
            adam.append(a)
            i += 1
        }
        return ResumeState(model: model, position: position, adam: adam)
    }
}
