import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe volumes: shape, dtype, storage, value range and class histograms.",
        discussion: """
        An HDF5 file without a dataset lists every dataset in it. Label data (datasets under /labels, or integer data with --labels) gets a class histogram with schema names. --bin reads the volume binned (mean for images, mode for labels), as the paper bins its data 2× in y and x. Ranges of integer data are exact; other values are shown to four significant digits.

        With --json, prints one object:
          {"files":[{"path":P, "format":"hdf5"|"tiff"|"png", "datasets":[{"name":N|null, "shape":[..],
           "read_as":[z,y,x], "dtype":T, "storage":S, "attributes":{..}, "range":[lo,hi]|null, "mean":x,
           "nan":n, "infinite":n, "histogram":[{"class":c,"name":s,"voxels":n}]}]}]}
        ("histogram" for labels only, each entry with the stored "value" too when the schema's classes list values;
        integer labels wider than 8 bits holding more than twice as many distinct values as the schema has classes are instance ids and get
        "instance_ids":{"distinct_values":n} instead; "note" says why a dataset has no statistics).

        Examples:
          densecell info study.h5
          densecell info study.h5:/labels/truth 50-labels.tif
          densecell info slices/ --labels --schema my-schema.json
          densecell info 50-images.tif --bin 1x2x2
          densecell info study.h5 --json
        """
    )

    @Argument(help: "Volume references: FILE.h5, FILE.h5:/DATASET, STACK.tif or a directory of PNGs.")
    var references: [String]

    @Flag(help: "Treat every integer volume as labels and print its class histogram.")
    var labels = false

    @OptionGroup var schemaOption: SchemaOption

    @Option(help: ArgumentHelp("Bin on read by these factors (mean for images, mode for labels).", valueName: "ZxYxX"))
    var bin: String?

    @Flag(help: "Print the facts as one JSON object.")
    var json = false

    func validate() throws {
        if let bin, Shape3(parsing: bin) == nil { throw ValidationError("--bin must look like 1x2x2") }
    }

    var binning: Shape3? { bin.flatMap(Shape3.init(parsing:)) }

    func run() throws {
        let schema = try schemaOption.load()
        var files: [OrderedJSON] = []
        for text in references {
            let ref = try VolumeReference.parse(text)
            switch ref.kind {
            case .hdf5:
                let file = try HDF5File(path: ref.path)
                let names = ref.dataset.map { [$0] } ?? file.datasetNames()
                if !json { print("\(ref.path)  (HDF5, \(names.count) dataset\(names.count == 1 ? "" : "s"))") }
                var datasets: [OrderedJSON] = []
                for name in names {
                    datasets.append(try describeDataset(file, name, schema: schema).json)
                }
                files.append(.object([("path", .string(ref.path)), ("format", .string("hdf5")), ("datasets", .array(datasets))]))
            case .tiff, .pngDirectory:
                let source = try VolumeReader.open(ref)
                if !json { print("\(ref.path)  (\(source.storage))") }
                var facts = VolumeFacts(name: nil, dims: nil, readAs: StreamingStatistics.binnedShape(source.shape, binning),
                                        dtype: binning == nil || labels ? source.typeName : "float32", storage: source.storage)
                showHeader(facts)
                try addValues(&facts, source, isLabels: labels, schema: schema)
                showValues(facts)
                files.append(.object([("path", .string(ref.path)), ("format", .string(ref.kind == .tiff ? "tiff" : "png")),
                                      ("datasets", .array([facts.json]))]))
            case .zarr, .n5:
                files.append(try describeStore(ref, schema: schema))
            }
        }
        if json { print(OrderedJSON.object([("files", .array(files))]).text) }
    }

    /// A Zarr or N5 store: the array named, or the image and its label images.
    func describeStore(_ ref: VolumeReference, schema: LabelSchema) throws -> OrderedJSON {
        let volumes = try VolumeReader.storeVolumes(ref)
        let format = ref.kind == .n5 ? "n5" : "zarr"
        if !json { print("\(ref.path)  (\(format), \(volumes.count) volume\(volumes.count == 1 ? "" : "s"))") }
        var datasets: [OrderedJSON] = []
        for v in volumes {
            let storage = v.source.storage + (v.levels > 1 ? ", \(v.levels) levels" : "")
            var facts = VolumeFacts(name: v.name, dims: nil, readAs: StreamingStatistics.binnedShape(v.source.shape, binning),
                                    dtype: binning == nil || labels || v.isLabels ? v.source.typeName : "float32", storage: storage)
            showHeader(facts)
            try addValues(&facts, v.source, isLabels: labels || v.isLabels, schema: schema)
            showValues(facts)
            datasets.append(facts.json)
        }
        return .object([("path", .string(ref.path)), ("format", .string(format)), ("datasets", .array(datasets))])
    }

    /// Shape, type and storage are printed first: they are known without reading the data.
    func showHeader(_ facts: VolumeFacts) { if !json { print(facts.headerText) } }
    /// Then what reading found (or why nothing was read).
    func showValues(_ facts: VolumeFacts) { if !json, let text = facts.valuesText { print(text) } }

    /// The facts of one dataset; in text mode they are printed as they become known.
    func describeDataset(_ file: HDF5File, _ name: String, schema: LabelSchema) throws -> VolumeFacts {
        var facts = try datasetHeader(file, name)
        showHeader(facts)
        try addValues(&facts, file, name, schema: schema)
        showValues(facts)
        return facts
    }

    /// What the dataset's header says: name, extents, type, storage and densecell's attributes.
    func datasetHeader(_ file: HDF5File, _ name: String) throws -> VolumeFacts {
        let info = try file.info(name)
        let attributes = StudyFile.attributeNames.compactMap { key in file.attribute(name, key).map { (key, $0) } }
        var facts = VolumeFacts(name: info.name, dims: info.dims, readAs: nil, dtype: info.typeName, storage: "", attributes: attributes)
        guard info.scalarType != nil else {
            facts.storage = nil
            facts.note = "not a volume densecell reads"
            return facts
        }
        guard !info.dims.contains(0), let shape = VolumeReader.volumeShape(dims: info.dims) else {
            // Empty datasets and multi-channel arrays (probabilities, weights) are not volumes.
            facts.storage = info.storage
            return facts
        }
        facts.readAs = StreamingStatistics.binnedShape(shape, binning)
        facts.readAsShown = info.dims.count != 3 || facts.readAs != shape
        do { facts.source = try VolumeReader.open(file, name) } catch {
            guard error.kind == .tooLarge else { throw error }
            facts.storage = info.storage
            facts.note = "no statistics: \(error.message)"
            return facts
        }
        facts.storage = facts.source!.storage
        return facts
    }

    /// Range, mean and (for labels) the class histogram of a dataset whose header was read.
    func addValues(_ facts: inout VolumeFacts, _ file: HDF5File, _ name: String, schema: LabelSchema) throws {
        guard facts.note == nil, let dims = facts.dims else { return }
        if dims.contains(0) {
            facts.note = "empty (no values)"
        } else if let source = facts.source {
            let isLabels = (name.hasPrefix("/labels/") || labels) && !facts.dtype.hasPrefix("float")
            try addValues(&facts, source, isLabels: isLabels, schema: schema)
        } else {
            // Multi-channel arrays: shape and range only.
            let dataset = try HDF5Dataset(file: file, name: name)
            let bar = dims.reduce(1, *) >= 1 << 26 ? ProgressBar("info", total: 1000) : nil
            facts.integer = !facts.dtype.hasPrefix("float")
            try statistics(&facts) { () throws(IOError) in
                try StreamingStatistics.of(dataset) { done, total in bar?.update(done * 1000 / max(1, total)) }
            }
            if facts.statistics != nil { bar?.finish() }
        }
    }

    /// Streams the statistics into `facts`, or notes why a volume too large to stream has none
    /// (`info` still describes it).
    func statistics(_ facts: inout VolumeFacts, _ compute: () throws(IOError) -> ValueStatistics) throws(IOError) {
        do { facts.statistics = try compute() } catch {
            guard error.kind == .tooLarge else { throw error }
            facts.note = "no statistics: \(error.message)"
        }
    }

    /// Range, mean and (for labels) the class histogram of an opened volume, streamed slab by slab.
    func addValues(_ facts: inout VolumeFacts, _ source: VolumeSource, isLabels: Bool, schema: LabelSchema) throws {
        let bar = source.shape.count >= 1 << 26 ? ProgressBar("info", total: source.shape.z, unit: "slices") : nil
        // Binned images are means, no longer integers.
        facts.integer = !source.typeName.hasPrefix("float") && (binning == nil || isLabels)
        facts.schema = isLabels ? schema : nil
        facts.mapping = isLabels ? source.labelMapping(schema.mapping) : nil
        facts.bytesPerValue = source.readBytesPerVoxel
        try statistics(&facts) { () throws(IOError) in
            try StreamingStatistics.of(source, bin: binning, labels: isLabels) { done, _ in bar?.update(done) }
        }
        if facts.statistics != nil { bar?.finish() }
    }
}

/// What `info` says about one dataset or file, as text lines or as JSON.
struct VolumeFacts {
    /// The HDF5 dataset's path; nil for a TIFF stack or PNG folder.
    var name: String?
    /// The stored extents (any rank); nil when the file has no other shape than `readAs`.
    var dims: [Int]?
    /// The (z, y, x) shape it reads as (after squeezing and binning); nil for other arrays.
    var readAs: Shape3?
    /// Whether the text shows `readAs` beside `dims` (it differs from them).
    var readAsShown = false
    var dtype: String
    /// How it is stored; nil for datasets densecell cannot read.
    var storage: String?
    var attributes: [(String, AttributeValue)] = []
    var statistics: ValueStatistics?
    /// Integer values: the range is shown exactly.
    var integer = false
    /// The schema naming the histogram's classes, for labels.
    var schema: LabelSchema?
    /// How the labels' stored values become the schema's classes, for labels.
    var mapping: LabelMapping?
    /// Bytes per value as read (8-bit labels are never taken for instance ids).
    var bytesPerValue = 1
    /// Why there are no statistics, when there are none.
    var note: String?
    /// The opened volume, while its values are still to be read.
    var source: VolumeSource?

    /// A value of the range: whole numbers of integer data exactly, others to four digits.
    func rangeText(_ v: Double) -> String {
        integer && v.rounded() == v && abs(v) < 0x1p63 ? String(Int64(v)) : Self.short(v)
    }

    static func short(_ v: Double) -> String { String(format: "%.4g", v) }

    /// The text lines known from the header, indented under their file: extents, type, storage
    /// and attributes.
    var headerText: String {
        let dimsText = (dims ?? readAs.map { [$0.z, $0.y, $0.x] } ?? []).map(String.init).joined(separator: "×")
        let readAsText = readAsShown ? readAs.map { " (read as \($0.z)×\($0.y)×\($0.x))" } ?? "" : ""
        let head = name.map { "  \($0)  " } ?? "  "
        guard let storage else { return head + "\(dimsText)  \(dtype)  (\(note ?? ""))" }
        var lines = [head + "\(dimsText)\(readAsText)  \(dtype)" + (name == nil ? "" : "  \(storage)")]
        if !attributes.isEmpty {
            lines.append("    " + attributes.map { key, value in "\(key)=\(Self.attributeText(value))" }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }

    /// The text lines of what reading found: range, mean, histogram, or why there are none.
    var valuesText: String? {
        var lines: [String] = []
        if let note, storage != nil { lines.append("    " + note) }
        guard let s = statistics else { return lines.isEmpty ? nil : lines.joined(separator: "\n") }
        let range = s.integerRange.map { "\($0.lowerBound)…\($0.upperBound)" } ?? "\(rangeText(s.lowest))…\(rangeText(s.highest))"
        lines.append("    range \(range)  mean \(Self.short(s.mean))")
        if s.nanCount + s.infiniteCount > 0 {
            lines.append("    \(s.nanCount) NaN and \(s.infiniteCount) infinite values (left out of range and mean)")
        }
        if let mapping, let distinct = instanceIDs {
            lines.append("    holds \(NumberText.grouped(distinct)) distinct values (instance ids), not class labels: "
                         + "the schema reads \(mapping.valueCount) values as classes")
        } else if let schema, let mapping {
            let total = max(1, s.count + s.nanCount + s.infiniteCount)
            for (c, n) in s.histogram.enumerated() where n > 0 {
                let name = Self.className(c, schema, mapping)
                let pct = String(format: "%6.2f%%", 100 * Double(n) / Double(total))
                lines.append("    \(String(c).leftPad(3)) \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(n).leftPad(12))  \(pct)")
            }
            if s.outsideHistogram > 0 { lines.append("    \(s.outsideHistogram) voxels outside 0…255") }
        }
        return lines.joined(separator: "\n")
    }

    /// The number of distinct values of labels that hold instance ids rather than classes.
    var instanceIDs: Int? {
        guard integer, let mapping, let distinct = statistics?.distinctValues,
              mapping.holdsInstanceIDs(distinct: distinct, bytesPerValue: bytesPerValue) else { return nil }
        return distinct
    }

    /// The name of the class a stored value reads as.
    static func className(_ value: Int, _ schema: LabelSchema, _ mapping: LabelMapping) -> String {
        mapping.classOf(Int64(value)).map { schema.classes[$0].name } ?? "(outside schema)"
    }

    static func attributeText(_ value: AttributeValue) -> String {
        switch value {
        case .string(let s): s
        case .strings(let s): s.joined(separator: ",")
        case .ints(let i): i.map(String.init).joined(separator: ",")
        case .doubles(let d): d.map { String(format: "%g", $0) }.joined(separator: ",")
        }
    }

    var json: OrderedJSON {
        var members: [(String, OrderedJSON)] = [("name", name.map { .string($0) } ?? .null)]
        if let dims { members.append(("shape", .array(dims.map { .int($0) }))) }
        if let readAs { members.append(("read_as", .array([readAs.z, readAs.y, readAs.x].map { .int($0) }))) }
        members.append(("dtype", .string(dtype)))
        members.append(("storage", storage.map { .string($0) } ?? .null))
        members.append(("attributes", .object(attributes.map { key, value in
            switch value {
            case .string(let s): (key, .string(s))
            case .strings(let s): (key, .array(s.map { .string($0) }))
            case .ints(let i): (key, .array(i.map { .int($0) }))
            case .doubles(let d): (key, .array(d.map { .number($0) }))
            }
        })))
        if let note { members.append(("note", .string(note))) }
        if let s = statistics {
            func value(_ v: Double) -> OrderedJSON { integer && v.rounded() == v && abs(v) < 0x1p63 ? .int(Int(v)) : .number(v) }
            let exact = s.integerRange.map { OrderedJSON.array([.int(Int($0.lowerBound)), .int(Int($0.upperBound))]) }
            members.append(("range", s.count > 0 ? exact ?? .array([value(s.lowest), value(s.highest)]) : .null))
            members.append(("mean", .number(s.count > 0 ? s.mean : nil)))
            members.append(("nan", .int(s.nanCount)))
            members.append(("infinite", .int(s.infiniteCount)))
            if schema != nil, let distinct = instanceIDs {
                members.append(("instance_ids", .object([("distinct_values", .int(distinct))])))
            } else if let schema, let mapping {
                members.append(("histogram", .array(s.histogram.enumerated().filter { $0.element > 0 }.map { v, n in
                    let value: [(String, OrderedJSON)] = mapping.isIdentity ? [] : [("value", .int(v))]
                    return .object([("class", mapping.isIdentity ? .int(v) : mapping.classOf(Int64(v)).map { .int($0) } ?? .null)] + value
                                   + [("name", .string(Self.className(v, schema, mapping))), ("voxels", .int(n))])
                })))
                if s.outsideHistogram > 0 { members.append(("outside_0_255", .int(s.outsideHistogram))) }
            }
        }
        return .object(members)
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
