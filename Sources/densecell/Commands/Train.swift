import ArgumentParser
import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train 2D–3D networks the paper's way: one model file and one CSV log per instance.",
        discussion: """
        Trains on /image and /labels/truth of the --train study (or --train-image and \
        --train-labels) and evaluates MIoU(all) and MIoU(org) on the held-out --eval study every \
        --eval-interval steps. Loss (--loss): by default paper, the paper's recipe: \
        class-balancing (∝ 1/N) and edge-preserving weights, the loss summed over voxels on the \
        2D and 3D heads (c2D = 0.33), L2 terms, Adam at rate 10^-3 ×0.75 every 2512 steps \
        (--decay staircase). --loss dice-ce: soft Dice over the classes plus the mean \
        cross-entropy with tempered class weights (∝ 1/√N, at most 10× apart), no L2 terms, a \
        linear warm-up over a tenth of the steps (at most 100) and a cosine decay to 5 % at the \
        last step (--decay cosine); --loss ce drops the Dice term. Windows spaced 2×100×100 (scaled with the \
        window) shuffled each epoch, random reflections, brightness ±12 %, contrast ±20 %, a new \
        elastic deformation every epoch. DENSECELL_PROFILE=1 prints the time of each phase \
        (augment, forward, loss, backward, update, evaluate).

        Instances differ only in their seed (--seed, --seed+1, …) and run one after another. \
        Each writes DIR/model-seedS.h5 (the best checkpoint so far, with eval_miou_all, \
        eval_miou_org, steps and seed in its attributes), DIR/model-seedS.csv (one line per \
        evaluation) and DIR/model-seedS.resume (the state at the last evaluation, which \
        --resume continues from). An instance below MIoU 0.3 after 10 epochs stops early.

        With --schema the network predicts the schema's classes (the labels must lie within \
        them), its model files carry the schema's class names, and MIoU(org) averages over the \
        schema's organelles.

        On a machine with few cores, instances train faster side by side as one process per \
        seed with OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive (the loop example) than one after \
        another in one process. On a SLURM cluster, --slurm DIR writes DIR/train.sbatch (an \
        array job, one task per instance) and DIR/submit.sh instead of training; --sbatch-args \
        passes options to sbatch. The held-out evaluation runs the network in the precision \
        --precision auto picks (printed).

        Examples:
          densecell phantom train.h5 --seed 1 && densecell phantom eval.h5 --seed 2
          densecell train --train train.h5 --eval eval.h5 --out models/ --instances 3 \\
            --width 16 --window 5x128x128 --steps 3000
          densecell train --train train.h5 --eval eval.h5 --out models/ --resume
          densecell report models/evaluation/model-seed1-eval.h5 --out models/report
          densecell train --train train.h5 --eval eval.h5 --out dice/ --loss dice-ce
          densecell train --train-image vol.tif --train-labels labels.tif \\
            --eval-image ev.tif --eval-labels evl.tif --out models/ --no-pyramid
          densecell train --train mito.h5 --eval mito-eval.h5 --out models/ \\
            --schema mito.json --width 16
          for s in 1 2 3; do
            OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive densecell train --seed $s \\
              --train train.h5 --eval eval.h5 --out models/ --width 16 &
          done; wait
          densecell train --train train.h5 --eval eval.h5 --out models/ --instances 8 \\
            --width 64 --slurm jobs/ --sbatch-args "--cpus-per-task=8 --time=24:00:00"
          jobs/submit.sh
        """
    )

    @Option(help: "Training study (uses /image and /labels/truth).")
    var train: String?
    @Option(help: "Held-out evaluation study (uses /image and /labels/truth).")
    var eval: String?
    @Option(help: "Directory for model files and logs (created if missing).")
    var out: String
    @Option(help: "Training image reference, instead of --train.")
    var trainImage: String?
    @Option(help: "Training labels reference, instead of --train.")
    var trainLabels: String?
    @Option(help: "Evaluation image reference, instead of --eval.")
    var evalImage: String?
    @Option(help: "Evaluation labels reference, instead of --eval.")
    var evalLabels: String?
    @Option(help: "Number of instances (seeds --seed, --seed+1, …).")
    var instances = 1
    @Option(help: "Seed of the first instance.")
    var seed = 1
    @OptionGroup var architectureOptions: ArchitectureOptions
    @Option(help: "Training steps per instance (minibatch 1).")
    var steps = 2000
    @OptionGroup var windowOption: WindowOption<TrainingWindow>
    @Option(help: "Steps between evaluations on the held-out volume.")
    var evalInterval = 250
    @Option(help: "Standard deviation in pixels of the elastic deformation's grid displacements.")
    var elasticSigma = 3.0
    @Option(help: ArgumentHelp("Data loss: paper (default: the paper's weighted loss, summed), dice-ce or ce (means, tempered class weights).", valueName: "KIND"))
    var loss: LossKind = .paper
    @Option(help: ArgumentHelp("Learning-rate schedule: cosine (warm-up, then down to 5 % at the last step) or staircase (×0.75 every 2512 steps). Default: staircase with --loss paper, else cosine.", valueName: "KIND"))
    var decay: LearningRateDecay?
    @Flag(help: "Ablation: train on the 3D head's loss only.")
    var noMultiloss = false
    @Flag(help: "Continue each instance from its .resume file when there is one.")
    var resume = false
    @OptionGroup var schemaOption: SchemaOption
    @Option(help: ArgumentHelp("Write a SLURM array job (one task per instance) and submit.sh into DIR instead of training.", valueName: "DIR"))
    var slurm: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Extra sbatch options for the --slurm job, separated by spaces.", valueName: "ARGS"))
    var sbatchArgs: String?

    func validate() throws {
        if sbatchArgs != nil && slurm == nil { throw ValidationError("--sbatch-args needs --slurm DIR") }
        guard instances >= 1 else { throw ValidationError("--instances must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard evalInterval >= 1 else { throw ValidationError("--eval-interval must be at least 1") }
        guard elasticSigma >= 0 else { throw ValidationError("--elastic-sigma must not be negative") }
    }

    /// The image and truth of one side (train or eval), from a study or explicit references.
    /// The image and truth of one side (train or eval), from a study or explicit references,
    /// opened as every command opens a study and read whole (training windows sample all of it).
    func read(study: String?, image: String?, labels: String?, side: String, schema: LabelSchema) throws -> (Volume<Float>, Volume<UInt8>) {
        guard study != nil || (image != nil && labels != nil) else {
            throw UsageError("give --\(side) STUDY.h5 or both --\(side)-image and --\(side)-labels")
        }
        let opened = try OpenedStudy.open(study: study, image: image, labels: labels.map { [("truth", $0)] } ?? [],
                                          schema: schema, select: ["truth"])
        let whole = try opened.slices(0..<opened.shape.z)
        return (whole.image, whole.labels[0].labels)
    }

    func run() throws {
        let w = windowOption.shape
        let schema = try schemaOption.load()
        let (trainImage, trainTruth) = try read(study: train, image: trainImage, labels: trainLabels, side: "train", schema: schema)
        let (evalImage, evalTruth) = try read(study: eval, image: evalImage, labels: evalLabels, side: "eval", schema: schema)
        let s = trainImage.shape
        guard s.z >= w.z, s.y >= w.y, s.x >= w.x else {
            throw UsageError("training volume \(s) is smaller than the window \(w); pass a smaller --window")
        }
        if let slurm { return try writeSlurmJob(slurm) }
        try OutputDirectory.create(out)

        // The network predicts the schema's classes; MIoU(org) averages over its organelles.
        let arch = architectureOptions.architecture(classes: schema.count)
        var config = loss == .paper ? TrainingConfig() : TrainingConfig.diceCE
        config.loss.kind = loss
        if let decay { config.decay = decay }
        config.steps = steps
        config.window = w
        // The paper's corner spacing 2×100×100 for 5×300×300 windows: a third of the window in y and x.
        config.stride = Shape3(2, max(4, w.y / 3), max(4, w.x / 3))
        config.evalInterval = evalInterval
        config.elasticSigma = elasticSigma
        config.loss.multiloss = !noMultiloss
        FileHandle.standardError.write(Data(("densecell train: \(instances) instance\(instances == 1 ? "" : "s"), width \(arch.width) " +
            "(\(arch.parameterCount) parameters), window \(w), \(steps) steps, loss \(loss.rawValue), \(config.decay.rawValue) rate, training volume \(s), evaluation \(evalImage.shape) " +
            "in \(PrecisionChoice.auto.explanation)\n").utf8))

        var summary: [String] = []
        for i in 0..<instances {
            var c = config
            c.seed = UInt64(seed + i)
            let run = TrainingRun(architecture: arch, seed: seed + i, config: c, directory: out, schema: schema)
            let bar = ProgressBar("seed \(seed + i)", total: steps, unit: "steps")
            run.profile = PhaseProfile.ifRequested()
            var lossAverage: Double? = nil
            // Training speed between the first and the last step (no setup, the final evaluation excluded).
            var firstStep: (step: Int, time: Date)? = nil, lastStep: (step: Int, time: Date)? = nil
            run.progress = { step, loss, record in
                if firstStep == nil { firstStep = (step, Date()) } else { lastStep = (step, Date()) }
                lossAverage = lossAverage.map { 0.98 * $0 + 0.02 * loss } ?? loss
                var detail = String(format: "loss %.4g", lossAverage!)
                if let r = record {
                    detail += "  MIoU all \(r.evalMIoUAll.map { String(format: "%.3f", $0) } ?? "–")"
                    detail += " org \(r.evalMIoUOrg.map { String(format: "%.3f", $0) } ?? "–")"
                }
                bar.update(step, detail: detail)
            }
            let outcome = try run.run(trainImage: trainImage, trainLabels: trainTruth, evalImage: evalImage,
                                      evalLabels: evalTruth, resume: resume)
            let text: String
            switch outcome {
            case .finished(let best): text = "best MIoU(all) \(best.map { String(format: "%.4f", $0) } ?? "–")"
            case .stoppedEarly(let best): text = "stopped early: MIoU(all) \(best.map { String(format: "%.4f", $0) } ?? "–") < 0.3 after 10 epochs"
            case .cancelled: text = "cancelled"
            }
            var speed = ""
            if let a = firstStep, let b = lastStep, b.step > a.step {
                let rate = Double(b.step - a.step) / b.time.timeIntervalSince(a.time)
                speed = String(format: ", %.3g steps/s", rate)
            }
            bar.finish(text + speed)
            if let p = run.profile { FileHandle.standardError.write(Data("densecell train: seed \(seed + i): \(p.summary)\n".utf8)) }
            summary.append("\(run.modelPath): \(text)\(speed)")
        }
        print(summary.joined(separator: "\n"))
    }

    /// The command an array task runs: this one, as parsed, training one instance with seed
    /// --seed + the task's index.
    var slurmTaskArguments: [String] {
        [DenseCellExecutable.path, "train"]
            + CommandLineArguments(self).words(omitting: ["--slurm", "--sbatch-args"],
                                               replacing: ["--instances": "1", "--seed": "{task+\(seed)}"])
    }

    /// One array task per instance, each training seed --seed + task index into --out.
    func writeSlurmJob(_ directory: String) throws {
        let task = slurmTaskArguments
        let written = try SlurmScripts.write(
            directory: directory,
            jobs: [SlurmJob(name: "train", arrayTasks: instances, command: task,
                            comment: "densecell train: one task per instance, seeds \(seed)…\(seed + instances - 1).")],
            workingDirectory: FileManager.default.currentDirectoryPath,
            sbatchArguments: sbatchArgs.map { $0.split(separator: " ").map(String.init) } ?? [])
        print("wrote " + written.joined(separator: ", ") + "; submit with: \(written.last!)")
    }
}

extension LossKind: ExpressibleByArgument {}
extension LearningRateDecay: ExpressibleByArgument {}
