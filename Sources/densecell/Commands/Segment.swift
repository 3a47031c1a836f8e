import ArgumentParser
import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model ensemble on a volume and write its labels (and probabilities) into a study file.",
        discussion: """
        Models are model files or directories of them; with --top K only the K with the highest \
        eval_miou_all are averaged. The image is scaled to mean 0 and std 1 over the whole volume, \
        cut into windows (default 5×512×512, no wider than the image) that share --overlap of their extent with their \
        neighbours, blended with Gaussian weights, and streamed slab by slab, so volumes larger \
        than memory work. --precision auto computes in bf16 where the CPU runs it natively \
        (AVX512-BF16 or AMX; its labels match f32's on ≥ 99.9 % of voxels with the shipped \
        ensemble), else in f32; the choice and why are printed. The last line gives the whole command's voxels/s (read, \
        normalize, tile, ensemble, write); DENSECELL_PROFILE=1 adds the time of each phase.

        Output: /labels/NAME (uint8, role "algorithm") and, with --probabilities, \
        /probabilities/NAME (float16, classes×z×y×x). A new OUT also gets /image, making it a \
        study `view` opens. An existing OUT gets the datasets added in one short write after \
        computing; its /image must match the input's shape. With --roi the label volume still \
        covers the whole image: voxels outside the region are 0 and /masks/NAME (named by the \
        labels' `mask` attribute) marks the region, so metrics count only the labeled part.

        IMAGE may be a study file (meaning STUDY.h5:/image), FILE.h5:/DATASET, a TIFF stack or a \
        directory of PNG slices.

        An OUT ending in .zarr (result.ome.zarr) is an OME-Zarr store (OME-NGFF 0.4 on Zarr v2): \
        labels/NAME with the platelet colors and role "algorithm", probabilities/NAME, and for a \
        new store the image; an existing store keeps its image and other sources. It is written \
        when computing is done and put in place whole (see `densecell convert`).

        On a cluster: --blocks N --block I computes only z-block I of N (cut at window starts, \
        read with the slices its windows need) into a part file OUT; `densecell merge` joins the \
        parts into exactly the study one run would write. --blocks N --slurm DIR writes \
        DIR/segment.sbatch (a SLURM array, one task per block, parts in DIR/parts), \
        DIR/merge.sbatch (run after the array succeeded) and DIR/submit.sh, which submits both \
        (extra sbatch options: --sbatch-args). scripts/slurm-local.sh starts a one-node cluster \
        on this machine for trying it.

        Examples:
          densecell segment study.h5 --models models/ --out study.h5
          densecell segment study.h5 --models models/ --top 3 --out study.h5 \\
            --name top3 --probabilities
          densecell segment raw.h5:/volume --models m1.h5 m2.h5 --out result.h5 --tta
          densecell segment study.h5 --models models/ --out roi.h5 \\
            --roi 0:5,100:356,0:256 --window 5x128x128
          densecell segment study.h5 --models models/ --out fast.h5 --overlap 0 --precision bf16
          densecell segment study.h5 --models models/ --out result.ome.zarr
          densecell segment big.h5 --models models/ --out part-1.h5 --blocks 4 --block 1
          densecell segment big.h5 --models models/ --out big.h5 --blocks 16 --slurm jobs/ \\
            --sbatch-args "--partition=norm --time=4:00:00"
          jobs/submit.sh
        """
    )

    @Argument(help: "The image: STUDY.h5, FILE.h5:/DATASET, STACK.tif or a directory of PNG slices.")
    var image: String

    @Option(parsing: .upToNextOption, help: "Model files or directories of model files.")
    var models: [String]

    @Option(help: "Average only the K models with the highest eval_miou_all.")
    var top: Int?

    @Option(help: "Study file to write (created, or added to when it exists); with --block, the part file.")
    var out: String

    @Option(help: "Name of the label source (/labels/NAME).")
    var name = "ensemble"

    @Flag(help: "Also write the averaged class probabilities as float16.")
    var probabilities = false

    @Flag(help: "Test-time augmentation: average the flips along y and x (4× the work).")
    var tta = false

    @OptionGroup var windowOption: WindowOption<InferenceWindow>

    @Option(help: "Region of interest z0:z1,y0:y1,x0:x1 (half-open; empty bounds mean the edge).")
    var roi: String?

    @OptionGroup var inference: InferenceSettings

    @Option(help: ArgumentHelp("Cut the region into N z-blocks (with --block or --slurm).", valueName: "N"))
    var blocks: Int?

    @Option(help: ArgumentHelp("Compute only block I (from 0) of --blocks into the part file --out.", valueName: "I"))
    var block: Int?

    @Option(help: ArgumentHelp("Write SLURM scripts for the --blocks run into DIR instead of computing.", valueName: "DIR"))
    var slurm: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Extra sbatch options for the --slurm jobs, separated by spaces.", valueName: "ARGS"))
    var sbatchArgs: String?

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("--models needs at least one model file or directory") }
        guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name must be a plain name without '/'") }
        if let blocks, blocks < 1 { throw ValidationError("--blocks must be at least 1") }
        if block != nil && slurm != nil { throw ValidationError("--block and --slurm exclude each other: --slurm writes a job per block") }
        if (block != nil || slurm != nil) && blocks == nil { throw ValidationError("--block and --slurm need --blocks N") }
        if blocks != nil && block == nil && slurm == nil { throw ValidationError("--blocks needs --block I (one block) or --slurm DIR (all blocks as SLURM jobs)") }
        if sbatchArgs != nil && slurm == nil { throw ValidationError("--sbatch-args needs --slurm DIR") }
    }

    func run() throws {
        let start = Date()
        let profile = PhaseProfile.ifRequested()
        let windowShape = windowOption.shape
        let options = try inference.options(window: windowShape, tta: tta)
        // Optional so the input (possibly the output file) can be closed before the commit writes.
        var input: (source: VolumeSource, resolutionNM: [Double]?)? = try OpenedStudy.openImage(image)
        let volume = input!.source.shape
        let box: Box3
        if let roi {
            guard let b = Box3.parse(roi, in: volume) else {
                throw UsageError("--roi \(roi): expected z0:z1,y0:y1,x0:x1 inside the image \(volume)")
            }
            box = b
        } else {
            box = Box3(shape: volume)
        }
        profile?.add("open")
        let ensemble = try Ensemble.load(paths: models, top: top)
        profile?.add("load models")
        let job = VolumeSegmentation(ensemble: ensemble, options: options, roi: box, name: name, wantProbabilities: probabilities)
        if let slurm, let blocks {
            _ = try job.block(0, of: blocks, volume: volume)   // a block count the region allows
            return try writeSlurmJobs(slurm, blocks: blocks)
        }
        let blockRange = try blocks.map { try job.block(block!, of: $0, volume: volume) }
        if blockRange != nil && StudyConversion.isZarr(out) { throw UsageError("--out \(out): a part file of --blocks is HDF5 (merge writes the study)") }
        // An OME-Zarr OUT: the results go to a scratch study first, then into the store.
        let zarr = StudyConversion.isZarr(out) ? try OMEZarrResults(store: out, shape: volume) : nil
        // A new study, or the datasets added to an existing one; a part file is always new.
        let writer = blockRange != nil
            ? try StudyWriter(path: out, shape: Shape3(blockRange!.count, volume.y, volume.x), existing: .replace)
            : try StudyWriter(path: zarr?.scratchStudy ?? out, shape: volume, existing: .addTo)
        let voxels = (blockRange?.count ?? box.z.count) * box.y.count * box.x.count
        let bar = ProgressBar("segment", total: voxels, unit: "voxels")
        ScratchCleanup.install(writer.scratchPath)
        defer { ScratchCleanup.clear() }
        let what = blockRange.map { "block \(block!) of \(blocks!): slices \($0.lowerBound)..<\($0.upperBound) of " } ?? ""
        FileHandle.standardError.write(Data(("densecell segment: \(ensemble.models.count) model\(ensemble.models.count == 1 ? "" : "s") " +
            "(width \(ensemble.models.map { String($0.width) }.joined(separator: ","))), \(what)\(box.shape) voxels, " +
            "window \(windowShape), overlap \(options.overlap) (\(Ensemble.windowCount(volume: volume, roi: box, options: options)) windows " +
            "over the region)\(tta ? ", flips" : ""), " +
            "precision \(try inference.precisionChoice().explanation)\n").utf8))
        do {
            if blockRange != nil {
                try job.runBlock(block!, of: blocks!, source: input!.source, image: absoluteImageReference(input!.source.reference),
                                 into: writer, progress: { bar.update($0.voxelsDone) }, profile: profile)
            } else {
                try job.run(input!.source, resolutionNM: input!.resolutionNM, into: writer, progress: { bar.update($0.voxelsDone) }, profile: profile)
            }
            bar.finish("\(voxels) voxels")
        } catch {
            if bar.interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            writer.discard()
            throw error
        }
        // The input may be the output file: close it before the short write into it.
        input = nil
        profile?.restart()
        try writer.commit()
        if let zarr {
            let imageForStore = zarr.storeExists ? nil : try OpenedStudy.openImage(image)
            let schema = ensemble.classes <= LabelSchema.platelet.count ? LabelSchema.platelet
                : LabelSchema(classes: (0..<ensemble.classes).map { .init(name: "class \($0)", color: nil) }, organelles: [])
            try zarr.commit(image: imageForStore, schema: schema)
        }
        profile?.add("commit")
        if let profile { FileHandle.standardError.write(Data("densecell profile: \(profile.summary)\n".utf8)) }
        let seconds = Date().timeIntervalSince(start)
        let rate = "\(String(format: "%.1f", seconds)) s (\(Int(Double(voxels) / max(seconds, 1e-9))) voxels/s end to end)"
        if let blockRange {
            print("wrote \(out): block \(block!) of \(blocks!), slices \(blockRange.lowerBound)..<\(blockRange.upperBound), " +
                  "\(voxels) voxels in \(rate)")
        } else {
            print("wrote \(out):/labels/\(name)\(probabilities ? " and /probabilities/\(name)" : "")  \(box.shape) voxels in \(rate)")
        }
    }

    /// The image as an absolute reference, for a merge run elsewhere to copy it into a new study.
    func absoluteImageReference(_ reference: VolumeReference) -> String {
        var r = reference
        r.path = SlurmScripts.absolute(r.path, in: FileManager.default.currentDirectoryPath)
        return r.description
    }

    /// The command an array task runs: this one, as parsed, computing block `{task}` into a part
    /// file in `parts`.
    func slurmTaskArguments(parts: String) -> [String] {
        [DenseCellExecutable.path, "segment"]
            + CommandLineArguments(self).words(omitting: ["--slurm", "--sbatch-args"],
                                               replacing: ["--out": parts + "/part-{task}.h5", "--block": "{task}"])
    }

    /// Writes the array job (one task per block), the dependent merge and submit.sh.
    func writeSlurmJobs(_ directory: String, blocks: Int) throws {
        let cwd = FileManager.default.currentDirectoryPath
        let dir = SlurmScripts.absolute(directory, in: cwd)
        let parts = dir + "/parts"
        try OutputDirectory.create(parts)
        let task = slurmTaskArguments(parts: parts)
        let merge = [DenseCellExecutable.path, "merge"] + (0..<blocks).map { parts + "/part-\($0).h5" } + ["--out", out, "--name", name]
        let written = try SlurmScripts.write(
            directory: dir,
            jobs: [SlurmJob(name: "segment", arrayTasks: blocks, command: task, comment: "densecell segment: one task per z-block, \(blocks) blocks."),
                   SlurmJob(name: "merge", arrayTasks: nil, command: merge, comment: "densecell merge: the \(blocks) parts into \(out).")],
            workingDirectory: cwd, sbatchArguments: sbatchArgs.map { $0.split(separator: " ").map(String.init) } ?? [])
        print("wrote " + written.joined(separator: ", ") + "; submit with: \(dir)/submit.sh")
    }
}
