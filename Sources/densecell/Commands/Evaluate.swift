import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a segmentation against ground truth: confusion matrix, per-class IoU, MIoU, volume fractions.",
        discussion: """
        Counts only voxels inside the labeled region: the datasets' own masks (their `mask`
        attribute in a study file) and --mask. IoU_j = C[j][j] / (row j + column j − C[j][j]);
        a class absent from both is undefined (n/a, JSON null) and left out of the means.
        MIoU(all) averages every class, MIoU(org) the organelle classes (paper's unweighted MIoU).
        Organelle volume fraction = voxels of the organelle / non-background voxels, within
        --cell-mask (default: each source's own non-background voxels).

        With --json, prints one object:
          {"classes":[..], "voxels":N, "confusion":[[..]], "iou":[..], "miou_all":x, "miou_org":x,
           "volume_fractions":{"truth":{name:x}, "prediction":{name:x}}}
        (rows of confusion are truth, columns prediction), followed by
        "binary_sweep":[{"threshold":t,"miou":x},..] when --probabilities is given.

        Examples:
          densecell evaluate study.h5:/labels/truth study.h5:/labels/annotator-1
          densecell evaluate 50-labels.tif pred.h5:/labels/ensemble --mask cell.h5:/mask --json
          densecell evaluate truth.h5:/labels/truth pred.h5:/labels/ensemble --schema my-schema.json
          densecell evaluate study.h5:/labels/truth study.h5:/labels/ensemble --probabilities study.h5:/probabilities/ensemble
        """
    )

    @Argument(help: "Ground-truth labels (FILE.h5:/DATASET, STACK.tif or a PNG directory).")
    var truth: String

    @Argument(help: "Predicted labels, same shape as the truth.")
    var prediction: String

    @Option(help: "Labeled-region mask: only voxels where it is nonzero count.")
    var mask: String?

    @Option(name: .customLong("cell-mask"), help: "Cell region for organelle volume fractions (nonzero voxels).")
    var cellMask: String?

    @Option(help: ArgumentHelp("Class probabilities (FILE.h5:/probabilities/NAME, classes×z×y×x) for the binary test.",
                               discussion: "Adds the paper's binary comparison: 1 − p0 thresholded at 0, 0.1, …, 1 against truth ≠ 0."))
    var probabilities: String?

    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    @OptionGroup var schemaOption: SchemaOption

    func run() throws {
        let schema = try schemaOption.load()
        let truthRef = try VolumeReference.parse(truth), predRef = try VolumeReference.parse(prediction)
        let t = try StudyLabels.open(truthRef)
        let p = try StudyLabels.open(predRef)
        let shape = t.labels.shape
        let against = "the truth \(truthRef)"
        try MetricsInput.checkShape(p.labels.shape, predRef, against: shape, against)
        let masks = try mask.map { [try MetricsInput.openMask($0, shape: shape, against: against)] } ?? []
        let cell = try cellMask.map { try MetricsInput.openMask($0, shape: shape, against: against) }
        let probabilitySource = try probabilities.map { try MetricsInput.openProbabilities(try VolumeReference.parse($0), shape: shape) }
        let bar = MetricsInput.progressBar("evaluate", shape: shape)
        let result = try StreamingMetrics.evaluate(truth: t, prediction: p, masks: masks, cellMask: cell,
                                                   probabilities: probabilitySource, thresholds: (0...10).map { Double($0) / 10 },
                                                   schema: schema) { done, _ in bar?.update(done) }
        bar?.finish()
        let labeledRegion = !(t.masks + p.masks + masks).isEmpty
        if json {
            print(MetricsReport.evaluateJSON(result.confusion, schema: schema, fractions: result.fractions, sweep: result.sweep))
        } else {
            print(MetricsReport.evaluationText(result.confusion, schema: schema, truth: truthRef.description,
                                               prediction: predRef.description, labeledRegion: labeledRegion,
                                               fractions: result.fractions, sweep: result.sweep))
        }
    }
}

/// Opening label sources, masks and probabilities for the metrics commands, with one-line errors.
enum MetricsInput {
    /// Opens a (classes, z, y, x) probability dataset whose volume shape matches `shape`.
    static func openProbabilities(_ ref: VolumeReference, shape: Shape3) throws -> HDF5Dataset {
        guard case .hdf5 = ref.kind, let dataset = ref.dataset else {
            throw IOError(.badReference, file: ref.path, "probabilities must be an HDF5 dataset, FILE.h5:/probabilities/NAME")
        }
        let file = try HDF5File(path: ref.path)
        let info = try file.info(dataset)
        guard info.dims.count == 4, info.dims[0] >= 2, Shape3(info.dims[1], info.dims[2], info.dims[3]) == shape else {
            throw IOError(.badShape, file: ref.path, dataset: info.name,
                          "shape \(info.dims.map(String.init).joined(separator: "×")) is not (classes ≥ 2, \(shape.z), \(shape.y), \(shape.x))")
        }
        return try HDF5Dataset(file: file, name: dataset)
    }

    /// A progress bar over the slices of a pass, for volumes large enough to take a while.
    static func progressBar(_ label: String, shape: Shape3) -> ProgressBar? {
        shape.count >= 1 << 26 ? ProgressBar(label, total: shape.z, unit: "slices") : nil
    }

    /// Opens a mask (nonzero = counted) of the volume's shape.
    static func openMask(_ text: String, shape: Shape3, against what: String) throws -> VolumeSource {
        let ref = try VolumeReference.parse(text)
        let mask = try VolumeReader.open(ref)
        try checkShape(mask.shape, ref, against: shape, what)
        return mask
    }

    static func checkShape(_ shape: Shape3, _ ref: VolumeReference, against expected: Shape3, _ what: String) throws {
        guard shape == expected else {
            throw IOError(.badShape, file: ref.path, dataset: ref.dataset, "shape \(shape) does not match \(what) (\(expected))")
        }
    }
}
