import DenseCellCore
import DenseCellIO
import Foundation

/// Opening what a command reads: the study file and the --image / --labels references.
enum StudyInputs {
    /// The image and the label sources that `panes` show (all of them for the default panes),
    /// opened from the study file and the --image / --labels references; probabilities and unused
    /// sources are not opened, and nothing is read until slices are asked for.
    static func open(study: String?, image imageText: String?, labels labelReferences: [String], schema: LabelSchema,
                     panes: [Pane]? = nil, subject: String) throws -> StudySlices {
        var referenced: [(name: String, ref: VolumeReference)] = []
        for text in labelReferences {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
                throw UsageError("--labels \(text): expected NAME=REF, e.g. truth=labels.tif")
            }
            let name = String(text[..<eq])
            guard (try? Pane.parse(name)) == .labels(name) else { throw UsageError("--labels \(text): \"\(name)\" cannot name a label source") }
            referenced.append((name, try VolumeReference.parse(String(text[text.index(after: eq)...]))))
        }
        let file = try study.map { try HDF5File(path: $0) }
        let image: VolumeSource
        var resolution: [Double]? = nil
        if let imageText {
            let ref = try VolumeReference.parse(imageText)
            image = try VolumeReader.open(ref)
            if case .hdf5 = ref.kind, let dataset = ref.dataset {
                resolution = try HDF5File(path: ref.path).attribute(dataset, "resolution_nm")?.doubleValues
            }
        } else if let file {
            guard file.isDataset("/image") else {
                throw IOError(.missingDataset, file: file.path, dataset: "/image", "no such dataset (not a densecell study?)")
            }
            image = try VolumeReader.open(file, "/image")
            resolution = file.attribute("/image", "resolution_nm")?.doubleValues
        } else {
            throw UsageError("give a study file, or the image with --image")
        }
        let inStudy = (file.map(StudyFile.labelNames) ?? []).filter { name in !referenced.contains { $0.name == name } }
        let available = inStudy + referenced.map(\.name)
        var names = available
        if let panes {
            names = []
            for name in panes.flatMap(\.sourceNames) where !names.contains(name) {
                guard available.contains(name) else {
                    throw UsageError("\(subject): \(FigureError.missingSource(name, available: available).description)")
                }
                names.append(name)
            }
        }
        var sources: [StudySlices.Source] = []
        for name in names {
            if let file, inStudy.contains(name) {
                let reader = try StudyLabelReader(file: file, name: name, classCount: schema.count)
                guard reader.shape == image.shape else {
                    throw IOError(.badShape, file: file.path, dataset: reader.dataset, "shape \(reader.shape) does not match the image \(image.shape)")
                }
                sources.append(.init(name: name, role: reader.role, labels: reader.labelSource, mask: reader.maskSource))
            } else if let ref = referenced.first(where: { $0.name == name })?.ref {
                sources.append(.init(name: name, role: SourceRole(guessingFrom: name), labels: try VolumeReader.open(ref)))
            }
        }
        return try StudySlices(image: image, resolutionNM: resolution?.count == 3 ? resolution : nil, schema: schema, sources: sources)
    }
}
