import DenseCellCore
import Foundation

/// Zarr (v2 and v3) and N5 stores on disk, and the OME-NGFF conventions on top of them
/// (`multiscales`, `labels`, `bioformats2raw.layout`): what a directory is, the volume a reference
/// names, and a whole OME-Zarr study (see docs/ARCHITECTURE.md, "Chunked stores").
enum ChunkedStore {
    /// The store formats read.
    enum Format: Sendable, Equatable { case zarr, n5 }

    /// The format of a store whose directory (or a group or array in it) is `path`, or nil for a
    /// directory that is neither (a folder of PNG slices).
    static func format(ofDirectory path: String) -> Format? {
        let fm = FileManager.default
        if [".zarray", ".zgroup", ".zattrs", "zarr.json"].contains(where: { fm.fileExists(atPath: path + "/" + $0) }) { return .zarr }
        if fm.fileExists(atPath: path + "/attributes.json") { return .n5 }
        // A store's root may carry no metadata of its own (tensorstore writes none for N5): the name says.
        let name = (path as NSString).lastPathComponent.lowercased()
        if name.hasSuffix(".zarr") { return .zarr }
        if name.hasSuffix(".n5") { return .n5 }
        return nil
    }

    /// The volume `ref` names: an array, or the image of a group (its OME-NGFF multiscales' finest
    /// level, the image under `0/` of a bioformats2raw layout, or an N5 multiscale's `s0`).
    ///
    /// - Throws: `IOError` naming the store when the reference names no array, or a group whose
    ///   image cannot be found, or an array that is not a volume.
    static func openVolume(_ ref: VolumeReference, format: Format) throws(IOError) -> VolumeSource {
        let store = DirectoryStore(root: ref.path)
        let prefix = ref.dataset.map { Self.prefix($0) } ?? ""
        let node = try Node(store: store, prefix: prefix, format: format)
        let source = try node.image(reference: ref).source
        // Labels densecell wrote say so on their label image (the group, or the level's parent group).
        let parent = prefix.split(separator: "/").dropLast().joined(separator: "/")
        let marked = [node.attributes, (try? Node(store: store, prefix: ChunkedStore.prefix(parent), format: format))?.attributes ?? [:]]
            .contains { $0[StudyFile.labelValuesAttribute.name] as? String == StudyFile.labelValuesAttribute.classIndices }
        (source as? ChunkedVolume)?.holdsClassIndices = marked
        return source
    }

    /// `/a/b` → `a/b/`, `` → ``.
    static func prefix(_ path: String) -> String {
        let trimmed = path.split(separator: "/").joined(separator: "/")
        return trimmed.isEmpty ? "" : trimmed + "/"
    }

    /// An image found in a store: its finest level opened, the resolution its metadata gives and
    /// the prefixes of every level (fine to coarse).
    struct Image {
        var source: VolumeSource
        var resolutionNM: [Double]?
        var levels: [String]
    }

    /// A group or array of a store, with its attributes.
    struct Node {
        let store: DirectoryStore
        let prefix: String
        let format: Format
        /// The user's attributes (`.zattrs`, v3 `attributes`, N5 `attributes.json`).
        let attributes: [String: Any]
        let isArray: Bool

        init(store: DirectoryStore, prefix: String, format: Format) throws(IOError) {
            self.store = store; self.prefix = prefix; self.format = format
            switch format {
            case .zarr:
                if let v3 = try store.json(prefix + "zarr.json") {
                    isArray = v3["node_type"] as? String == "array"
                    attributes = v3["attributes"] as? [String: Any] ?? [:]
                } else {
                    isArray = store.size(prefix + ".zarray") != nil
                    attributes = try store.json(prefix + ".zattrs") ?? [:]
                    guard isArray || store.size(prefix + ".zgroup") != nil || !attributes.isEmpty else {
                        throw IOError(.missingDataset, file: store.root, dataset: prefix.isEmpty ? nil : "/" + prefix.dropLast(),
                                      "no Zarr group or array here")
                    }
                }
            case .n5:
                // An N5 group needs no attributes.json of its own (tensorstore writes none): a directory is one.
                guard let attrs = try store.json(prefix + "attributes.json") ?? (store.isDirectory(prefix) ? [:] : nil) else {
                    throw IOError(.missingDataset, file: store.root, dataset: prefix.isEmpty ? nil : "/" + prefix.dropLast(),
                                  "no N5 group or dataset here")
                }
                attributes = attrs
                isArray = attrs["dimensions"] != nil
            }
        }

        /// OME-NGFF keeps its metadata under `ome` in v0.5 (Zarr v3), at the top level before.
        var ome: [String: Any] { attributes["ome"] as? [String: Any] ?? attributes }

        func child(_ path: String) throws(IOError) -> Node {
            try Node(store: store, prefix: prefix + ChunkedStore.prefix(path), format: format)
        }

        func array(_ reference: VolumeReference, axisMap: [Int?]? = nil) throws(IOError) -> ChunkedVolume {
            let source: ChunkSource = format == .zarr ? try ZarrArray(store: store, prefix: prefix) : try N5Array(store: store, prefix: prefix)
            return try ChunkedVolume(reference: reference, source: source, axisMap: axisMap)
        }

        /// The image this node is or holds.
        func image(reference: VolumeReference) throws(IOError) -> Image {
            if isArray { return Image(source: try array(reference), resolutionNM: nil, levels: [prefix]) }
            if let multiscales = ome["multiscales"] as? [[String: Any]], let first = multiscales.first {
                return try multiscale(first, reference: reference)
            }
            if ome["bioformats2raw.layout"] != nil { return try child("0").image(reference: reference) }
            if format == .n5, (try? child("s0"))?.isArray == true {
                let levels = Array((0...).lazy.map { "s\($0)" }.prefix { (try? self.child($0))?.isArray == true })
                let source = try child("s0").array(VolumeReference(path: reference.path, dataset: "/" + prefix + "s0", kind: reference.kind))
                source.levelOpeners = levels.dropFirst().map { level in
                    { () throws -> ChunkedVolume in
                        try self.child(level).array(VolumeReference(path: reference.path, dataset: "/" + self.prefix + level, kind: reference.kind))
                    }
                }
                return Image(source: source, resolutionNM: nil, levels: levels.map { prefix + $0 + "/" })
            }
            throw IOError(.badReference, file: store.root, dataset: prefix.isEmpty ? nil : "/" + prefix.dropLast(),
                          "a group without an image (no multiscales): name one of its arrays")
        }

        /// The finest level of an OME-NGFF multiscale image, with its axes mapped to z, y, x and its
        /// scale as the voxel size in nanometres.
        func multiscale(_ m: [String: Any], reference: VolumeReference) throws(IOError) -> Image {
            let key = prefix + (format == .zarr ? "zarr.json / .zattrs" : "attributes.json")
            guard let datasets = m["datasets"] as? [[String: Any]], let first = datasets.first?["path"] as? String else {
                throw IOError(.corrupt, file: store.root, dataset: key, "multiscales without datasets")
            }
            // Axes: v0.4+ objects with a name (and unit), v0.3 plain names, none before.
            let axes: [(name: String, unit: String?)]? = (m["axes"] as? [Any]).map { list in
                list.map { item in
                    if let object = item as? [String: Any] { return (object["name"] as? String ?? "", object["unit"] as? String) }
                    return (item as? String ?? "", nil)
                }
            }
            let level = try child(first)
            var map: [Int?]? = nil
            if let axes {
                var m: [Int?] = []
                for axis in axes {
                    switch axis.name.lowercased() {
                    case "z": m.append(0)
                    case "y": m.append(1)
                    case "x": m.append(2)
                    case "t", "c": m.append(nil)
                    default:
                        throw IOError(.unsupportedType, file: store.root, dataset: key,
                                      "axes \(axes.map(\.name).joined()) cannot be mapped to z, y, x (axis \"\(axis.name)\")")
                    }
                }
                map = m
            }
            let ref = VolumeReference(path: reference.path, dataset: "/" + level.prefix.dropLast(), kind: reference.kind)
            let source: ChunkedVolume
            do { source = try level.array(ref, axisMap: map) } catch {
                if error.kind == .badShape, let axes {
                    throw IOError(.unsupportedType, file: store.root, dataset: key,
                                  "axes \(axes.map(\.name).joined()) with a time or channel axis longer than 1: only single-channel volumes are read")
                }
                throw error
            }
            if let map, source.source.arrayShape.count != map.count {
                throw IOError(.badShape, file: store.root, dataset: key, "\(map.count) axes for an array of rank \(source.source.arrayShape.count)")
            }
            let paths = datasets.compactMap { $0["path"] as? String }
            source.levelOpeners = paths.dropFirst().map { path in
                { () throws -> ChunkedVolume in
                    let node = try self.child(path)
                    return try node.array(VolumeReference(path: reference.path, dataset: "/" + node.prefix.dropLast(), kind: reference.kind),
                                          axisMap: map)
                }
            }
            return Image(source: source, resolutionNM: resolution(m, datasets[0], axes: axes),
                         levels: paths.map { prefix + ChunkedStore.prefix($0) })
        }

        /// The finest level's voxel size (z, y, x) in nanometres: its scale (times the multiscale's
        /// own, if any), in the axes' units; nil without units.
        func resolution(_ m: [String: Any], _ dataset: [String: Any], axes: [(name: String, unit: String?)]?) -> [Double]? {
            guard let axes else { return nil }
            func scale(_ transforms: Any?) -> [Double]? {
                (transforms as? [[String: Any]])?.first { $0["type"] as? String == "scale" }?["scale"] as? [Double]
            }
            guard var s = scale(dataset["coordinateTransformations"]), s.count == axes.count else { return nil }
            if let outer = scale(m["coordinateTransformations"]), outer.count == s.count { s = zip(s, outer).map { $0 * $1 } }
            let nanometres: [String: Double] = ["nanometer": 1, "micrometer": 1000, "millimeter": 1e6, "angstrom": 0.1, "picometer": 0.001]
            var result = [Double](repeating: 0, count: 3)
            var found = 0
            for (i, axis) in axes.enumerated() {
                guard let target = ["z": 0, "y": 1, "x": 2][axis.name.lowercased()] else { continue }
                guard let unit = axis.unit, let factor = nanometres[unit] else { return nil }
                result[target] = s[i] * factor
                found += 1
            }
            return found == 3 ? result : nil
        }
    }

    /// An OME-Zarr (or N5) study: the image, its voxel size and every label image under `labels/`
    /// (OME-NGFF's labels group), each opened at its finest level.
    static func openStudy(_ path: String, format: Format) throws(IOError) -> (image: Image, labels: [StoredLabels], schema: LabelSchema?) {
        let store = DirectoryStore(root: path)
        let reference = VolumeReference(path: path, dataset: nil, kind: format == .zarr ? .zarr : .n5)
        var root = try Node(store: store, prefix: "", format: format)
        if root.ome["bioformats2raw.layout"] != nil, root.ome["multiscales"] == nil { root = try root.child("0") }
        let image = try root.image(reference: reference)
        var labels: [StoredLabels] = []
        var described: [[String: Any]] = []
        if let group = try? root.child("labels"), let names = group.ome["labels"] as? [String] {
            for name in names {
                let node = try group.child(name)
                let role = (node.attributes[StudyFile.roleAttribute] as? String).flatMap(SourceRole.init(rawValue:))
                let classIndices = node.attributes[StudyFile.labelValuesAttribute.name] as? String == StudyFile.labelValuesAttribute.classIndices
                if let imageLabel = node.ome["image-label"] as? [String: Any] { described.append(imageLabel) }
                labels.append(StoredLabels(name: name, role: role, source: { () throws(IOError) -> VolumeSource in
                    let source = try node.image(reference: VolumeReference(path: path, dataset: "/" + node.prefix.dropLast(), kind: reference.kind)).source
                    (source as? ChunkedVolume)?.holdsClassIndices = classIndices
                    return source
                }, root: root, maskPath: node.attributes[StudyFile.maskAttribute] as? String))
            }
        }
        return (image, labels, labelSchema(described))
    }

    /// The classes OME-NGFF `image-label` metadata describes: names from `properties`, colors from
    /// `colors`, by label value (the first label image to describe a value names it). The platelet
    /// schema when the names are its own (organelles known); nil when no value is named.
    static func labelSchema(_ imageLabels: [[String: Any]]) -> LabelSchema? {
        var names: [Int: String] = [:], colors: [Int: RGB?] = [:]
        for label in imageLabels {
            for p in label["properties"] as? [[String: Any]] ?? [] {
                if let v = p["label-value"] as? Int, v >= 0, v < 256, names[v] == nil, let name = p["name"] as? String { names[v] = name }
            }
            for c in label["colors"] as? [[String: Any]] ?? [] {
                guard let v = c["label-value"] as? Int, v >= 0, v < 256, colors[v] == nil, let rgba = c["rgba"] as? [Int], rgba.count >= 3 else { continue }
                let clamp = { (x: Int) in UInt8(max(0, min(255, x))) }
                colors[v] = rgba.count > 3 && rgba[3] == 0 ? nil : RGB(clamp(rgba[0]), clamp(rgba[1]), clamp(rgba[2]))
            }
        }
        // Names decide: colors alone (a viewer's choice) do not say which values are classes.
        guard let top = names.keys.max() else { return nil }
        let classes = (0...top).map { v in
            LabelSchema.Class(name: names[v] ?? (v == 0 ? "background" : "label \(v)"), color: colors[v] ?? nil)
        }
        if classes.map(\.name) == LabelSchema.platelet.names { return .platelet }
        // Without a word on which classes are organelles, every labelled class counts.
        return LabelSchema(classes: classes, organelles: Array(1..<classes.count))
    }
}

/// A label image of an OME-Zarr store: its name, recorded role, and how to open it and its mask.
struct StoredLabels {
    var name: String
    var role: SourceRole?
    var source: () throws(IOError) -> VolumeSource
    /// The store's root (the image's group), which `maskPath` starts from.
    var root: ChunkedStore.Node
    /// The labeled region, when the label image names one (`mask`: a path from the root).
    var maskPath: String?

    /// The labeled region, opened, when the label image names one.
    func openMask() throws(IOError) -> VolumeSource? {
        guard let maskPath else { return nil }
        let node = try root.child(maskPath)
        let reference = VolumeReference(path: root.store.root, dataset: "/" + node.prefix.dropLast(), kind: root.format == .zarr ? .zarr : .n5)
        return try node.image(reference: reference).source
    }
}

/// One volume of a Zarr or N5 store, as `info` lists it.
public struct StoreVolume {
    /// Its path in the store (`/0`, `/labels/cells/0`, `/volumes/raw/s0`).
    public var name: String
    /// The volume, opened.
    public var source: VolumeSource
    /// Whether it is a label image (under `labels/`).
    public var isLabels: Bool
    /// How many resolution levels its multiscale has (1 for a plain array).
    public var levels: Int
}

extension VolumeReader {
    /// The volumes a Zarr or N5 reference holds: the one array it names, or a group's image with
    /// every label image under `labels/`.
    ///
    /// - Throws: `IOError` as `open(_:)`.
    public static func storeVolumes(_ ref: VolumeReference) throws(IOError) -> [StoreVolume] {
        let format: ChunkedStore.Format = ref.kind == .n5 ? .n5 : .zarr
        if ref.dataset != nil {
            let node = try ChunkedStore.Node(store: DirectoryStore(root: ref.path), prefix: ChunkedStore.prefix(ref.dataset!), format: format)
            let image = try node.image(reference: ref)
            return [StoreVolume(name: image.source.reference.dataset ?? ref.dataset!, source: image.source, isLabels: false, levels: image.levels.count)]
        }
        let study = try ChunkedStore.openStudy(ref.path, format: format)
        var list = [StoreVolume(name: study.image.source.reference.dataset ?? "/", source: study.image.source, isLabels: false,
                                levels: study.image.levels.count)]
        for label in study.labels {
            let source = try label.source()
            list.append(StoreVolume(name: source.reference.dataset ?? label.name, source: source, isLabels: true, levels: 1))
        }
        return list
    }
}
