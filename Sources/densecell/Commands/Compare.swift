import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pairwise agreement of the label sources in a study: MIoU(org), MIoU(all), volume fractions.",
        discussion: """
        Every pair of sources is scored on the voxels both have labeled (each source's `mask`
        attribute, and --mask). The matrices are symmetric; the diagonal is 1. Volume fractions
        are organelle voxels / non-background voxels of each source (within --cell-mask if given).
        --pair a,b adds the confusion matrix of one pair (rows a, columns b) to the tables.

        With --json, prints one object:
          {"sources":[..], "miou_org":[[..]], "miou_all":[[..]], "volume_fractions":{source:{name:x}}}

        Examples:
          densecell compare study.h5
          densecell compare study.h5 --sources truth,annotator-1,annotator-2 --pair annotator-1,annotator-2
          densecell compare study.h5 --json
        """
    )

    @Argument(help: "Study file (HDF5) with label sources under /labels.")
    var study: String

    @Option(help: "Comma-separated source names (default: every /labels/* in the study).")
    var sources: String?

    @Option(help: "Also print the confusion matrix of this pair, as a,b.")
    var pair: String?

    @Option(help: "Labeled-region mask applied to every pair: only voxels where it is nonzero count.")
    var mask: String?

    @Option(name: .customLong("cell-mask"), help: "Cell region for organelle volume fractions (nonzero voxels).")
    var cellMask: String?

    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    @OptionGroup var schemaOption: SchemaOption

    func run() throws {

        let names = sources.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let opened = try OpenedStudy.open(study: study, schema: try schemaOption.loadIfGiven(), select: names, needsImage: false)
        let schema = opened.schema
        guard !opened.labels.isEmpty else { throw IOError(.missingDataset, file: study, dataset: "/labels", "no label sources in this study") }
        let shape = opened.shape
        let selected = opened.labels
        var pairNames: (String, String)? = nil
        var pairSources: (StudyLabels, StudyLabels)? = nil
        if let pair {
            let parts = try parsePair(pair)
            pairSources = (try opened.source(parts.0), try opened.source(parts.1))
            pairNames = parts
        }
        var extra: [VolumeSource] = []
        if let mask {
            let ref = try VolumeReference.parse(mask)
            let m = try VolumeReader.open(ref)
            try MetricsInput.checkShape(m.shape, ref, against: shape, "the study \(study)")
            extra.append(m)
        }
        var cell: VolumeSource? = nil
        if let cellMask {
            let ref = try VolumeReference.parse(cellMask)
            let m = try VolumeReader.open(ref)
            try MetricsInput.checkShape(m.shape, ref, against: shape, "the study \(study)")
            cell = m
        }
        let bar = MetricsInput.progressBar("compare", shape: shape)
        let result = try StreamingMetrics.compare(selected, pair: pairSources, masks: extra, cellMask: cell,
                                                  schema: schema) { done, _ in bar?.update(done) }
        bar?.finish()
        let comparison = result.pairwise, fractions = result.fractions
        if json {
            print(MetricsReport.compareJSON(comparison, fractions: fractions, schema: schema))
            return
        }
        let shown = selected.map(\.name)
        print("\(study): \(shown.count) label source\(shown.count == 1 ? "" : "s"), \(shape) voxels\n")
        print(MetricsReport.matrixTable("MIoU(org)", names: shown, comparison.miouOrg))
        print("")
        print(MetricsReport.matrixTable("MIoU(all)", names: shown, comparison.miouAll))
        print("")
        print(MetricsReport.fractionTable(shown, fractions, schema: schema))
        if let (a, b) = pairNames, let c = result.pairConfusion {
            print("")
            print(MetricsReport.iouTable(c, schema: schema, rowTitle: a, columnTitle: b))
            print("")
            print(MetricsReport.confusionTable(c, schema: schema, rowTitle: a, columnTitle: b))
        }
    }
}
