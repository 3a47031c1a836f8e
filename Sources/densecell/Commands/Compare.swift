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
        let schema = try schemaOption.load()
        guard FileManager.default.fileExists(atPath: study) else { throw IOError(.missingFile, file: study, "no such file") }
        let file = try HDF5File(path: study)
        let available = StudyFile.labelNames(file)
        // Default order: truth, then annotators, then algorithms, each in file order.
        let roleOrder: [SourceRole] = [.truth, .annotator, .algorithm]
        func rank(_ name: String) -> Int {
            let role = file.attribute("/labels/" + name, "role")?.stringValue.flatMap(SourceRole.init(rawValue:)) ?? .algorithm
            return roleOrder.firstIndex(of: role)!
        }
        let byRole = available.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
        let names = sources.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? byRole
        guard !names.isEmpty else { throw IOError(.missingDataset, file: study, dataset: "/labels", "no label sources in this study") }
        for name in names where !available.contains(name) {
            throw IOError(.missingDataset, file: study, dataset: "/labels/" + name,
                          "no such label source (have: \(available.isEmpty ? "none" : available.joined(separator: ", ")))")
        }
        var pairNames: (String, String)? = nil
        if let pair {
            let parts = try parsePair(pair)
            for name in [parts.0, parts.1] where !available.contains(name) {
                throw IOError(.missingDataset, file: study, dataset: "/labels/" + name, "no such label source for --pair")
            }
            pairNames = parts
        }
        let shapeSource = file.isDataset("/image") ? "/image" : "/labels/" + names[0]
        guard let shape = VolumeReader.volumeShape(dims: try file.info(shapeSource).dims) else {
            throw IOError(.badShape, file: study, dataset: shapeSource, "not a 3-D volume")
        }
        func open(_ name: String) throws -> LabelStream {
            let reader = try StudyLabelReader(file: file, name: name, classCount: schema.count)
            guard reader.shape == shape else {
                throw IOError(.badShape, file: study, dataset: reader.dataset, "shape \(reader.shape) does not match the image \(shape)")
            }
            return LabelStream(reader)
        }
        let selected = try names.map(open)
        let pairStreams = try pairNames.map { (a, b) in
            (try selected.first { $0.name == a } ?? open(a), try selected.first { $0.name == b } ?? open(b))
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
        let result = try StreamingMetrics.compare(selected, pair: pairStreams, masks: extra, cellMask: cell,
                                                  schema: schema) { done, _ in bar?.update(done) }
        bar?.finish()
        let comparison = result.pairwise, fractions = result.fractions
        if json {
            print(MetricsReport.compareJSON(comparison, fractions: fractions, schema: schema))
            return
        }
        print("\(study): \(names.count) label source\(names.count == 1 ? "" : "s"), \(shape) voxels\n")
        print(MetricsReport.matrixTable("MIoU(org)", names: names, comparison.miouOrg))
        print("")
        print(MetricsReport.matrixTable("MIoU(all)", names: names, comparison.miouAll))
        print("")
        print(MetricsReport.fractionTable(names, fractions, schema: schema))
        if let (a, b) = pairNames, let c = result.pairConfusion {
            print("")
            print(MetricsReport.iouTable(c, schema: schema, rowTitle: a, columnTitle: b))
            print("")
            print(MetricsReport.confusionTable(c, schema: schema, rowTitle: a, columnTitle: b))
        }
    }
}
