import DenseCellCore
import Foundation

/// One label source of a study, opened rather than loaded: its labels and the mask of its labeled
/// region are readers, so every pass over it streams.
public struct StudyLabels {
    /// The source's name (`truth`, `annotator-1`, a `--labels NAME=REF` name).
    public var name: String
    /// Truth, annotator or algorithm: recorded in the file, else guessed from the name.
    public var role: SourceRole
    /// The labels, opened.
    public var labels: VolumeSource
    /// The labeled region (nonzero inside), when the source labels only part of the volume.
    public var mask: VolumeSource?

    /// A source of `labels`, restricted to `mask` when it labels only part of the volume.
    public init(name: String, role: SourceRole, labels: VolumeSource, mask: VolumeSource? = nil) {
        self.name = name; self.role = role; self.labels = labels; self.mask = mask
    }

    /// The masks restricting this source (none, or its own).
    public var masks: [VolumeSource] { mask.map { [$0] } ?? [] }

    /// Opens one label reference with the mask its HDF5 dataset names in a `mask` attribute, and
    /// the role recorded in its `role` attribute (else guessed from `name`).
    ///
    /// - Throws: `IOError` when either cannot be opened, or the mask's shape differs from the labels'.
    public static func open(_ ref: VolumeReference, name: String? = nil) throws(IOError) -> StudyLabels {
        let labels = try VolumeReader.open(ref)
        let name = name ?? ref.description
        guard case .hdf5 = ref.kind, let dataset = ref.dataset else {
            return StudyLabels(name: name, role: SourceRole(guessingFrom: name), labels: labels)
        }
        let file = try HDF5File(path: ref.path)
        let layout = StudyFile.LabelAttributes(file, dataset: dataset, name: name)
        return StudyLabels(name: name, role: layout.role, labels: labels,
                           mask: try layout.openMask(file, matching: labels.shape, of: ref.description))
    }

    /// Labels inside `box`, read as classes through the schema's mapping.
    public func readLabels(_ box: Box3, mapping: LabelMapping) throws(IOError) -> Volume<UInt8> {
        try labels.readLabels(box, mapping: mapping)
    }

    /// The labeled region inside `box` as 0/1, or nil when the source labels everything.
    public func readMask(_ box: Box3) throws(IOError) -> Volume<UInt8>? { try mask?.readMask(box) }
}

/// A class-probability source of a study file, opened: (classes, z, y, x), read channel by channel.
public struct StudyProbabilities {
    /// The source's name under `/probabilities`.
    public var name: String
    /// The dataset, opened.
    public var dataset: HDF5Dataset
    /// Number of class channels.
    public var classes: Int { dataset.info.dims[0] }

    /// Channel `channel` over slices `z` (all of y and x).
    public func channel(_ channel: Int, z: Range<Int>) throws(IOError) -> Volume<Float> {
        let d = dataset.info.dims
        let data = try dataset.read(start: [channel, z.lowerBound, 0, 0], count: [1, z.count, d[2], d[3]], as: .float32, of: Float.self)
        return Volume(shape: Shape3(z.count, d[2], d[3]), data: data)
    }
}

/// A study opened for reading: the image, the label sources with their roles and masks, the
/// probability sources, the resolution and the schema — every reader opened, nothing read until a
/// box is asked for (see docs/ARCHITECTURE.md, "Opening a study"). Every command, the report and
/// the viewer open what they read through `open(study:image:labels:schema:select:needsImage:)`.
public final class OpenedStudy {
    /// The study file, when one was given.
    public let path: String?
    /// The image, opened; nil for a study without one opened where no image is needed.
    public let image: VolumeSource?
    /// Voxel size (z, y, x) in nanometres, when the image records it.
    public let resolutionNM: [Double]?
    /// Names, colors and organelles of the label classes; labels are checked against it on read.
    public let schema: LabelSchema
    /// How the sources' stored values become the schema's classes, made once from `schema`.
    public let labelMapping: LabelMapping
    /// The label sources asked for: in the order asked, or every source ordered by role (truth,
    /// annotators, algorithms, each in file order) when none were named.
    public let labels: [StudyLabels]
    /// Every label source the study and the `--labels` references offer, ordered by role.
    public let available: [String]
    /// The names of the study file's probability sources, in file order.
    public let probabilityNames: [String]
    private let file: HDF5File?
    /// The (z, y, x) shape every volume of the study shares.
    public let shape: Shape3
    private let opener: (String) throws(IOError) -> StudyLabels

    /// The path errors about the study name: the study file, else the image.
    public var subject: String { path ?? image?.reference.path ?? "" }

    /// The label source called `name`, among those selected when the study was opened.
    public func selected(_ name: String) -> StudyLabels? { labels.first { $0.name == name } }

    /// Any label source the study offers, opened now if it was not selected.
    ///
    /// - Throws: `IOError` naming the sources there are when there is no such source.
    public func source(_ name: String) throws(IOError) -> StudyLabels {
        if let s = selected(name) { return s }
        return try opener(name)
    }

    /// Opens a study and the references that add to or stand in for its parts.
    ///
    /// - Parameters:
    ///   - study: the study file (`/image`, `/labels/*`, `/probabilities/*`), if any.
    ///   - image: an image reference standing in for the study's `/image`; a study file named
    ///     without a dataset means its `/image`.
    ///   - labels: `(name, reference)` label sources added to the study's (replacing one of the
    ///     same name).
    ///   - schema: labels are checked against it as they are read; nil for the schema an OME-Zarr
    ///     store's label images describe (their `image-label` names and colors), else the platelet schema.
    ///   - select: the label sources opened now, in this order (nil: all of them, by role; [] none —
    ///     `source(_:)` opens any by name later).
    ///   - needsImage: whether a study without an image is refused (else its shape comes from its
    ///     first label source).
    /// - Throws: `IOError` naming the file and dataset: a missing file or dataset, a source or mask
    ///   whose shape is not the image's, a source that does not exist (naming those that do).
    public static func open(study: String?, image: String? = nil, labels references: [(name: String, reference: String)] = [],
                            schema given: LabelSchema? = nil, select: [String]? = nil,
                            needsImage: Bool = true) throws(IOError) -> OpenedStudy {
        if let study, !FileManager.default.fileExists(atPath: study) { throw IOError(.missingFile, file: study, "no such file") }
        let stored = try study.map { (p: String) throws(IOError) in try StoredStudy(p) }
        // The schema given, else the one the store's label images describe, else the paper's.
        let schema = given ?? stored?.schema ?? .platelet
        let file = stored?.file
        var resolution: [Double]? = nil
        var imageSource: VolumeSource? = nil
        if let image {
            let opened = try openImage(image)
            imageSource = opened.source; resolution = opened.resolutionNM
        } else if let stored {
            if let storedImage = stored.image {
                imageSource = storedImage; resolution = stored.resolutionNM
            } else if needsImage {
                throw IOError(.missingDataset, file: stored.path, dataset: StudyFile.imageDataset, "no such dataset (not a densecell study?)")
            }
        } else if needsImage {
            throw IOError(.badReference, file: "", "give a study file, or the image with --image")
        }

        let referenced = try references.map { (r: (name: String, reference: String)) throws(IOError) in
            (name: r.name, ref: try VolumeReference.parse(r.reference))
        }
        let inStudy = (stored?.labelNames ?? []).filter { n in !referenced.contains { $0.name == n } }
        let roles = Dictionary(inStudy.map { n in (n, stored!.role(n)) }
                               + referenced.map { ($0.name, SourceRole(guessingFrom: $0.name)) }) { first, _ in first }
        let available = SourceRole.ordered(inStudy + referenced.map(\.name)) { roles[$0]! }

        let shape: Shape3
        if let imageSource {
            shape = imageSource.shape
        } else if let first = inStudy.first, let stored {
            shape = try stored.openLabels(first, nil).labels.shape
        } else {
            throw IOError(.missingDataset, file: study ?? "", dataset: StudyFile.imageDataset, "no image and no label sources in this study")
        }
        let subject = study ?? image ?? ""
        let opener = { (name: String) throws(IOError) -> StudyLabels in
            let source: StudyLabels
            if let stored, inStudy.contains(name) {
                source = try stored.openLabels(name, shape)
            } else if let ref = referenced.first(where: { $0.name == name })?.ref {
                // The name the user gave says the role; the dataset's own mask still applies.
                var opened = try StudyLabels.open(ref, name: name)
                opened.role = SourceRole(guessingFrom: name)
                source = opened
                guard source.labels.shape == shape else {
                    throw IOError(.badShape, file: ref.path, dataset: ref.dataset,
                                  "labels \(name) have shape \(source.labels.shape) but the image is \(shape)")
                }
            } else {
                throw IOError(.missingDataset, file: subject, dataset: file == nil ? nil : StudyFile.labelsDataset(name),
                              "no label source \"\(name)\" (the study has: \(available.isEmpty ? "none" : available.joined(separator: ", ")))")
            }
            return source
        }
        var opened: [StudyLabels] = []
        for name in select ?? available where !opened.contains(where: { $0.name == name }) { opened.append(try opener(name)) }

        let probabilityNames = stored?.probabilityNames ?? []
        return OpenedStudy(path: study, image: imageSource, resolutionNM: resolution?.count == 3 ? resolution : nil, schema: schema,
                           labels: opened, available: available, probabilityNames: probabilityNames, file: file, shape: shape,
                           opener: opener)
    }

    /// A study of an image and label sources opened elsewhere (volumes built in code, tests).
    ///
    /// - Throws: `IOError(.badShape)` naming a source or mask whose shape is not the image's.
    public init(image: VolumeSource, resolutionNM: [Double]? = nil, schema: LabelSchema, labels: [StudyLabels]) throws(IOError) {
        for s in labels {
            for v in [s.labels] + s.masks where v.shape != image.shape {
                throw IOError(.badShape, file: v.reference.path, dataset: v.reference.dataset,
                              "labels \(s.name) have shape \(v.shape) but the image is \(image.shape)")
            }
        }
        let names = labels.map(\.name)
        self.path = nil; self.image = image; self.resolutionNM = resolutionNM; self.schema = schema; labelMapping = schema.mapping
        self.labels = labels; self.available = names; self.probabilityNames = []; self.file = nil; self.shape = image.shape
        self.opener = { (name: String) throws(IOError) -> StudyLabels in
            throw IOError(.missingDataset, file: image.reference.path,
                          "no label source \"\(name)\" (the study has: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
        }
    }

    private init(path: String?, image: VolumeSource?, resolutionNM: [Double]?, schema: LabelSchema, labels: [StudyLabels],
                 available: [String], probabilityNames: [String], file: HDF5File?, shape: Shape3,
                 opener: @escaping (String) throws(IOError) -> StudyLabels) {
        self.path = path; self.image = image; self.resolutionNM = resolutionNM; self.schema = schema; labelMapping = schema.mapping
        self.labels = labels
        self.available = available; self.probabilityNames = probabilityNames; self.file = file; self.shape = shape; self.opener = opener
    }

    /// A probability source of the study file, opened and checked: (classes ≥ 2, z, y, x) of the
    /// study's shape.
    ///
    /// - Throws: `IOError` naming the dataset when there is no such source or its shape is wrong.
    public func probabilities(_ name: String) throws(IOError) -> StudyProbabilities {
        let dataset = StudyFile.probabilitiesGroup + name
        guard let file, probabilityNames.contains(name) else {
            throw IOError(.missingDataset, file: subject, dataset: dataset, "no such probability source")
        }
        let d = try HDF5Dataset(file: file, name: dataset)
        let dims = d.info.dims
        guard dims.count == 4, dims[0] >= 2, Shape3(dims[1], dims[2], dims[3]) == shape else {
            throw IOError(.badShape, file: file.path, dataset: dataset,
                          "shape \(dims.map(String.init).joined(separator: "×")) is not (classes ≥ 2, \(shape.z), \(shape.y), \(shape.x))")
        }
        return StudyProbabilities(name: name, dataset: d)
    }

    /// Opens an image reference: `PATH:DATASET`, a TIFF stack, a PNG directory, or a study file
    /// (its `/image`), with the `resolution_nm` an HDF5 image records.
    ///
    /// - Throws: `IOError` naming the file when it is missing, has no `/image` and names no
    ///   dataset, or is not a 3-D volume of a supported type.
    public static func openImage(_ text: String) throws(IOError) -> (source: VolumeSource, resolutionNM: [Double]?) {
        var ref = try VolumeReference.parse(text)
        guard case .hdf5 = ref.kind else { return (try VolumeReader.open(ref), nil) }
        let file = try HDF5File(path: ref.path)
        if ref.dataset == nil {
            guard file.isDataset(StudyFile.imageDataset) else {
                throw IOError(.badReference, file: ref.path, "no /image dataset: name one as \(ref.path):/DATASET")
            }
            ref = VolumeReference(path: ref.path, dataset: StudyFile.imageDataset, kind: .hdf5(dataset: StudyFile.imageDataset))
        }
        let resolution = StudyFile.resolution(file, ref.dataset!)
        return (try VolumeReader.open(file, ref.dataset!), resolution?.count == 3 ? resolution : nil)
    }

    /// The study made of slices `z` only: the image (refusing NaN and infinity), every opened
    /// source's labels (checked against the schema) and masks of those slices.
    ///
    /// - Throws: `IOError` from reading.
    public func slices(_ z: Range<Int>) throws(IOError) -> Study {
        guard let image else { preconditionFailure("slices(_:) of a study opened without an image") }
        let box = image.slab(z)
        var sources: [LabelSource] = []
        for s in labels {
            sources.append(LabelSource(name: s.name, role: s.role, labels: try s.readLabels(box, mapping: labelMapping),
                                       mask: try s.readMask(box)))
        }
        return Study(image: try image.readImage(box), resolutionNM: resolutionNM, labels: sources, schema: schema)
    }

    /// Plane `index` of `axis` of the image and every source, as a one-slice study of the
    /// plane's rows × columns (its resolution reordered to match): what figures of xz and yz
    /// planes are drawn from. An xy plane is slice `index`.
    public func plane(_ axis: PlaneAxis, at index: Int) throws(IOError) -> Study {
        if axis == .xy { return try slices(index..<(index + 1)) }
        guard let image else { preconditionFailure("plane(_:at:) of a study opened without an image") }
        let box = axis.box(image.shape, index: index)
        let size = axis.size(image.shape)
        let shape = Shape3(1, size.rows, size.columns)
        func flat<T>(_ v: Volume<T>) -> Volume<T> { Volume(shape: shape, data: axis.extract(v.data, box: box, index: index)) }
        var sources: [LabelSource] = []
        for s in labels {
            sources.append(LabelSource(name: s.name, role: s.role, labels: flat(try s.readLabels(box, mapping: labelMapping)),
                                       mask: try s.readMask(box).map(flat)))
        }
        let resolution = resolutionNM.map { r in [r[axis.normal], r[axis.rowAxis], r[axis.columnAxis]] }
        return Study(image: flat(try image.readImage(box)), resolutionNM: resolution, labels: sources, schema: schema)
    }
}

/// What a study file or store holds, before any source is opened: an HDF5 study (`/image`,
/// `/labels/*` with their attributes, `/probabilities/*`) or an OME-Zarr / N5 store (the image's
/// multiscale and its `labels/` group).
private struct StoredStudy {
    let path: String
    let file: HDF5File?
    let image: VolumeSource?
    let resolutionNM: [Double]?
    /// Label sources, in file order.
    let labelNames: [String]
    let probabilityNames: [String]
    let role: (String) -> SourceRole
    /// A label source with its mask; checked against `shape` when one is given.
    let openLabels: (String, Shape3?) throws(IOError) -> StudyLabels
    /// The classes the store's label images name and color, when they do (OME-Zarr `image-label`).
    let schema: LabelSchema?

    init(_ path: String) throws(IOError) {
        self.path = path
        var isDirectory: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            guard let format = ChunkedStore.format(ofDirectory: path) else {
                throw IOError(.badReference, file: path, "a directory that is neither an OME-Zarr nor an N5 store cannot be a study")
            }
            let store = try ChunkedStore.openStudy(path, format: format)
            file = nil
            schema = store.schema
            image = store.image.source; resolutionNM = store.image.resolutionNM
            labelNames = store.labels.map(\.name); probabilityNames = []
            let labels = store.labels
            role = { name in labels.first { $0.name == name }?.role ?? SourceRole(guessingFrom: name) }
            openLabels = { (name: String, shape: Shape3?) throws(IOError) -> StudyLabels in
                guard let label = labels.first(where: { $0.name == name }) else { preconditionFailure("no label image \(name)") }
                let source = try label.source()
                if let shape, source.shape != shape {
                    throw IOError(.badShape, file: path, dataset: source.reference.dataset,
                                  "shape \(source.shape) does not match the image \(shape)")
                }
                let mask = try label.openMask()
                if let mask, mask.shape != source.shape {
                    throw IOError(.badShape, file: path, dataset: mask.reference.dataset,
                                  "mask shape \(mask.shape) does not match its labels \(source.shape)")
                }
                return StudyLabels(name: name, role: label.role ?? SourceRole(guessingFrom: name), labels: source, mask: mask)
            }
            return
        }
        let file = try HDF5File(path: path)
        self.file = file
        schema = nil
        if file.isDataset(StudyFile.imageDataset) {
            image = try VolumeReader.open(file, StudyFile.imageDataset)
            resolutionNM = StudyFile.resolution(file, StudyFile.imageDataset)
        } else {
            image = nil; resolutionNM = nil
        }
        labelNames = StudyFile.labelNames(file)
        probabilityNames = file.datasetNames().filter { $0.hasPrefix(StudyFile.probabilitiesGroup) }
            .map { String($0.dropFirst(StudyFile.probabilitiesGroup.count)) }
        role = { name in StudyFile.LabelAttributes(file, dataset: StudyFile.labelsDataset(name), name: name).role }
        openLabels = { (name: String, shape: Shape3?) throws(IOError) -> StudyLabels in
            let dataset = StudyFile.labelsDataset(name)
            let labels = try VolumeReader.open(file, dataset)
            if let shape, labels.shape != shape {
                throw IOError(.badShape, file: file.path, dataset: dataset, "shape \(labels.shape) does not match the image \(shape)")
            }
            let attributes = StudyFile.LabelAttributes(file, dataset: dataset, name: name)
            return StudyLabels(name: name, role: attributes.role, labels: labels,
                               mask: try attributes.openMask(file, matching: labels.shape, of: dataset))
        }
    }
}
