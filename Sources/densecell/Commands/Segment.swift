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
        cut into overlapping windows (default 5×256×256, step 2×128×128) blended with Gaussian \
        weights, and streamed slab by slab, so volumes larger than memory work.

        Output: /labels/NAME (uint8, role "algorithm") and, with --probabilities, \
        /probabilities/NAME (float16, classes×z×y×x). A new OUT also gets /image, making it a \
        study `view` opens. An existing OUT gets the datasets added in one short write after \
        computing; its /image must match the input's shape. With --roi the label volume still \
        covers the whole image: voxels outside the region are 0 and /masks/NAME (named by the \
        labels' `mask` attribute) marks the region, so metrics count only the labeled part.

        IMAGE may be a study file (meaning STUDY.h5:/image), FILE.h5:/DATASET, a TIFF stack or a \
        directory of PNG slices.

        Examples:
          densecell segment study.h5 --models models/ --out study.h5
          densecell segment study.h5 --models models/ --top 3 --out study.h5 \\
            --name top3 --probabilities
          densecell segment raw.h5:/volume --models m1.h5 m2.h5 --out result.h5 --tta
          densecell segment study.h5 --models models/ --out roi.h5 \\
            --roi 0:5,100:356,0:256 --window 5x128x128
        """
    )

    @Argument(help: "The image: STUDY.h5, FILE.h5:/DATASET, STACK.tif or a directory of PNG slices.")
    var image: String

    @Option(parsing: .upToNextOption, help: "Model files or directories of model files.")
    var models: [String]

    @Option(help: "Average only the K models with the highest eval_miou_all.")
    var top: Int?

    @Option(help: "Study file to write (created, or added to when it exists).")
    var out: String

    @Option(help: "Name of the label source (/labels/NAME).")
    var name = "ensemble"

    @Flag(help: "Also write the averaged class probabilities as float16.")
    var probabilities = false

    @Flag(help: "Test-time augmentation: average the flips along y and x (4× the work).")
    var tta = false

    @Option(help: "Window ZxYxX (y and x multiples of 4).")
    var window = "5x256x256"

    @Option(help: "Region of interest z0:z1,y0:y1,x0:x1 (half-open; empty bounds mean the edge).")
    var roi: String?

    @OptionGroup var inference: InferenceSettings

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("--models needs at least one model file or directory") }
        guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name must be a plain name without '/'") }
    }

    func run() throws {
        guard let windowShape = Shape3(parsing: window), windowShape.y % 4 == 0, windowShape.x % 4 == 0 else {
            throw UsageError("--window \(window): expected ZxYxX with y and x multiples of 4, e.g. 5x256x256")
        }
        let options = try inference.options(window: windowShape, tta: tta)
        let source = try ImageSource(reference: image)
        let volume = source.shape
        let box: Box3
        if let roi {
            guard let b = Box3.parse(roi, in: volume) else {
                throw UsageError("--roi \(roi): expected z0:z1,y0:y1,x0:x1 inside the image \(volume)")
            }
            box = b
        } else {
            box = Box3(shape: volume)
        }
        let ensemble = try Ensemble.load(paths: models, top: top)
        let classes = ensemble.classes
        // An existing output gets the datasets added; its /image must describe the same image.
        let writer = try StudyWriter(path: out, shape: volume, existing: .addTo)

        let start = Date()
        let bar = ProgressBar("segment", total: box.shape.count, unit: "voxels")
        ScratchCleanup.install(writer.scratchPath)
        defer { ScratchCleanup.clear() }
        do {
            let normalization = try InputNormalization.of(source)
            if !writer.addsToExisting { try writer.copyImage(from: source) }
            try writer.createLabels(name, role: .algorithm, region: box)
            if probabilities { try writer.createProbabilities(name, classes: classes, storage: .float16) }
            FileHandle.standardError.write(Data(("densecell segment: \(ensemble.models.count) model\(ensemble.models.count == 1 ? "" : "s") " +
                "(width \(ensemble.models.map { String($0.width) }.joined(separator: ",")))," +
                " \(box.shape) voxels, window \(windowShape), overlap \(options.overlap)\(tta ? ", flips" : ""), " +
                "precision \(try inference.precisionChoice().explanation)\n").utf8))
            try ensemble.segmentStreaming(
                volume: volume, normalization: normalization, roi: box, options: options,
                wantProbabilities: probabilities, cancel: nil,
                read: { z in try source.read(z) },
                emit: { slab in
                    // Slabs cover the region's y and x; outside the region the labels stay 0.
                    let region = Box3(z: slab.z, y: box.y, x: box.x)
                    try writer.writeLabels(name, box: region, slab.labels.data)
                    if let p = slab.probabilities { try writer.writeProbabilities(name, box: region, classes: classes, p) }
                },
                progress: { p in bar.update(p.voxelsDone) })
            bar.finish("\(box.shape) voxels")
            try writer.setAttribute("/labels/\(name)", "models", .strings(ensemble.models.map { ($0.path ?? "") }))
            try writer.setAttribute("/labels/\(name)", "model_checksums", .strings(ensemble.checksums))
        } catch {
            if bar.interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            writer.discard()
            throw error
        }
        // The input may be the output file: close it before the short write into it.
        source.close()
        try writer.commit()
        let seconds = Date().timeIntervalSince(start)
        print("wrote \(out):/labels/\(name)\(probabilities ? " and /probabilities/\(name)" : "")  " +
              "\(box.shape) voxels in \(String(format: "%.1f", seconds)) s (\(Int(Double(box.shape.count) / max(seconds, 1e-9))) voxels/s)")
    }
}
