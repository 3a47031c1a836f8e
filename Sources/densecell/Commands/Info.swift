import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe volumes: shape, dtype, storage, value range and class histograms.",
        discussion: """
        An HDF5 file without a dataset lists every dataset in it. Label data (datasets under /labels, or integer data with --labels) gets a class histogram with schema names. --bin reads the volume binned (mean for images, mode for labels), as the paper bins its data 2× in y and x.

        Examples:
          densecell info study.h5
          densecell info study.h5:/labels/truth 50-labels.tif
          densecell info slices/ --labels --schema my-schema.json
          densecell info 50-images.tif --bin 1x2x2
        """
    )

    @Argument(help: "Volume references: FILE.h5, FILE.h5:/DATASET, STACK.tif or a directory of PNGs.")
    var references: [String]

    @Flag(help: "Treat every integer volume as labels and print its class histogram.")
    var labels = false

    @OptionGroup var schemaOption: SchemaOption

    @Option(help: ArgumentHelp("Bin on read by these factors (mean for images, mode for labels).", valueName: "ZxYxX"))
    var bin: String?

    func validate() throws {
        if let bin, Shape3(parsing: bin) == nil { throw ValidationError("--bin must look like 1x2x2") }
    }

    var binning: Shape3? { bin.flatMap(Shape3.init(parsing:)) }

    func run() throws {
        let schema = try schemaOption.load()
        for text in references {
            let ref = try VolumeReference.parse(text)
            switch ref.kind {
            case .hdf5:
                let file = try HDF5File(path: ref.path)
                let names = ref.dataset.map { [$0] } ?? file.datasetNames()
                print("\(ref.path)  (HDF5, \(names.count) dataset\(names.count == 1 ? "" : "s"))")
                for name in names {
                    try describeDataset(file, name, schema: schema)
                }
            case .tiff, .pngDirectory:
                let source = try VolumeReader.open(ref)
                print("\(ref.path)  (\(source.storage))")
                let s = StreamingStatistics.binnedShape(source.shape, binning)
                print("  \(s.z)×\(s.y)×\(s.x)  \(binning == nil || labels ? source.typeName : "float32")")
                try describeValues(source, isLabels: labels, schema: schema)
            }
        }
    }

    func describeDataset(_ file: HDF5File, _ name: String, schema: LabelSchema) throws {
        let info = try file.info(name)
        var storage = info.chunks.map { "chunks " + $0.map(String.init).joined(separator: "×") } ?? "contiguous"
        if !info.filters.isEmpty { storage += ", " + info.filters.joined(separator: ", ") }
        let dimsText = info.dims.map(String.init).joined(separator: "×")
        let attrs = ["role", "mask", "resolution_nm"].compactMap { key -> String? in
            guard let v = file.attribute(name, key) else { return nil }
            switch v {
            case .string(let s): return "\(key)=\(s)"
            case .strings(let s): return "\(key)=\(s.joined(separator: ","))"
            case .ints(let i): return "\(key)=\(i.map(String.init).joined(separator: ","))"
            case .doubles(let d): return "\(key)=\(d.map { String(format: "%g", $0) }.joined(separator: ","))"
            }
        }
        guard info.scalarType != nil else {
            print("  \(info.name)  \(dimsText)  \(info.typeName)  (not a volume densecell reads)")
            return
        }
        // Shape, type and storage come first: they are known without reading the data.
        if info.dims.contains(0) {
            print("  \(info.name)  \(dimsText)  \(info.typeName)  \(storage)")
            if !attrs.isEmpty { print("    " + attrs.joined(separator: "  ")) }
            print("    empty (no values)")
            return
        }
        let isLabels = (name.hasPrefix("/labels/") || labels) && !info.typeName.hasPrefix("float")
        if let shape = VolumeReader.volumeShape(dims: info.dims) {
            let s = StreamingStatistics.binnedShape(shape, binning)
            let squeezed = info.dims.count != 3 || s != shape ? " (read as \(s.z)×\(s.y)×\(s.x))" : ""
            print("  \(info.name)  \(dimsText)\(squeezed)  \(info.typeName)  \(storage)")
            if !attrs.isEmpty { print("    " + attrs.joined(separator: "  ")) }
            let source: VolumeSource
            do { source = try VolumeReader.open(file, name) } catch {
                guard error.kind == .tooLarge else { throw error }
                print("    no statistics: \(error.message)")
                return
            }
            try describeValues(source, isLabels: isLabels, schema: schema)
        } else {
            // Multi-channel arrays (probabilities, weights): shape and range only.
            print("  \(info.name)  \(dimsText)  \(info.typeName)  \(storage)")
            if !attrs.isEmpty { print("    " + attrs.joined(separator: "  ")) }
            let dataset = try HDF5Dataset(file: file, name: name)
            let count = info.dims.reduce(1, *)
            let bar = count >= 1 << 26 ? ProgressBar("info", total: 1000) : nil
            guard let stats = try statisticsOrReason({ () throws(IOError) in
                try StreamingStatistics.of(dataset) { done, total in bar?.update(done * 1000 / max(1, total)) }
            }) else { return }
            bar?.finish()
            printRange(stats)
        }
    }

    /// The statistics `compute` streams, or nil after printing why a volume too large to stream
    /// has none (`info` still describes it).
    func statisticsOrReason(_ compute: () throws(IOError) -> ValueStatistics) throws(IOError) -> ValueStatistics? {
        do { return try compute() } catch {
            guard error.kind == .tooLarge else { throw error }
            print("    no statistics: \(error.message)")
            return nil
        }
    }

    /// Range, mean and (for labels) the class histogram, streamed slab by slab; a volume whose
    /// planes are too large to stream gets the reason instead.
    func describeValues(_ source: VolumeSource, isLabels: Bool, schema: LabelSchema) throws {
        let bar = source.shape.count >= 1 << 26 ? ProgressBar("info", total: source.shape.z, unit: "slices") : nil
        guard let stats = try statisticsOrReason({ () throws(IOError) in
            try StreamingStatistics.of(source, bin: binning, labels: isLabels) { done, _ in bar?.update(done) }
        }) else { return }
        bar?.finish()
        printRange(stats)
        guard isLabels else { return }
        let total = max(1, stats.count + stats.nanCount + stats.infiniteCount)
        for (c, n) in stats.histogram.enumerated() where n > 0 {
            let name = c < schema.count ? schema.classes[c].name : "(outside schema)"
            let pct = String(format: "%6.2f%%", 100 * Double(n) / Double(total))
            print("    \(String(c).leftPad(3)) \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(n).leftPad(12))  \(pct)")
        }
        if stats.outsideHistogram > 0 { print("    \(stats.outsideHistogram) voxels outside 0…255") }
    }

    func printRange(_ stats: ValueStatistics) {
        print("    range \(fmt(stats.lowest))…\(fmt(stats.highest))  mean \(fmt(stats.mean))")
        if stats.nanCount + stats.infiniteCount > 0 {
            print("    \(stats.nanCount) NaN and \(stats.infiniteCount) infinite values (left out of range and mean)")
        }
    }

    func fmt(_ v: some BinaryFloatingPoint) -> String { String(format: "%.4g", Double(v)) }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
