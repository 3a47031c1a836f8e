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
                let v = try VolumeReader.read(ref, bin: binning, labels: labels)
                let kind = ref.kind == .tiff ? "multipage TIFF" : "PNG slices"
                print("\(ref.path)  (\(kind))")
                describeVolume(v, label: "", isLabels: labels, schema: schema, typeName: v.typeName, storage: nil)
            }
        }
    }

    func describeDataset(_ file: HDF5File, _ name: String, schema: LabelSchema) throws {
        let info = try file.info(name)
        var storage = info.chunks.map { "chunks " + $0.map(String.init).joined(separator: "×") } ?? "contiguous"
        if !info.filters.isEmpty { storage += ", " + info.filters.joined(separator: ", ") }
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
            print("  \(info.name)  \(info.dims.map(String.init).joined(separator: "×"))  \(info.typeName)  (not a volume densecell reads)")
            return
        }
        let isLabels = (name.hasPrefix("/labels/") || labels) && !info.typeName.hasPrefix("float")
        if VolumeReader.volumeShape(dims: info.dims) != nil && info.dims.count <= 3 || info.dims.count > 3 && VolumeReader.volumeShape(dims: info.dims) != nil {
            var v = try VolumeReader.readHDF5(file, name)
            if let b = binning { v = Binning.bin(v, factors: b, labels: isLabels) }
            describeVolume(v, label: info.name, isLabels: isLabels, schema: schema, typeName: info.typeName,
                           storage: storage, dims: info.dims, attributes: attrs)
        } else {
            // Multi-channel arrays (probabilities, weights): shape and range only.
            let r = try file.readArray(name, as: .float32, of: Float.self)
            let (lo, hi, mean) = range(r.data)
            print("  \(info.name)  \(info.dims.map(String.init).joined(separator: "×"))  \(info.typeName)  \(storage)")
            if !attrs.isEmpty { print("    " + attrs.joined(separator: "  ")) }
            print("    range \(fmt(lo))…\(fmt(hi))  mean \(fmt(mean))")
        }
    }

    func range<F: BinaryFloatingPoint>(_ data: [F]) -> (F, F, Double) {
        var lo = F.infinity, hi = -F.infinity, sum = 0.0
        for v in data { lo = min(lo, v); hi = max(hi, v); sum += Double(v) }
        return (lo, hi, data.isEmpty ? 0 : sum / Double(data.count))
    }

    func fmt(_ v: some BinaryFloatingPoint) -> String { String(format: "%.4g", Double(v)) }

    func describeVolume(_ v: AnyVolume, label: String, isLabels: Bool, schema: LabelSchema, typeName: String,
                        storage: String?, dims: [Int]? = nil, attributes: [String] = []) {
        let s = v.shape
        let shapeText = dims.map { $0.map(String.init).joined(separator: "×") } ?? "\(s.z)×\(s.y)×\(s.x)"
        let squeezed = dims.map { $0.count != 3 || $0 != [s.z, s.y, s.x] ? " (read as \(s.z)×\(s.y)×\(s.x))" : "" } ?? ""
        print("  \(label.isEmpty ? "" : label + "  ")\(shapeText)\(squeezed)  \(typeName)\(storage.map { "  " + $0 } ?? "")")
        if !attributes.isEmpty { print("    " + attributes.joined(separator: "  ")) }
        // Doubles keep the range of wide data (int64 IDs, float64 beyond float32).
        let f = v.asDouble()
        let (lo, hi, mean) = range(f.data)
        print("    range \(fmt(lo))…\(fmt(hi))  mean \(fmt(mean))")
        guard isLabels else { return }
        var counts = [Int](repeating: 0, count: 256)
        var outside = 0
        for x in f.data {
            if x >= 0 && x < 256 { counts[Int(x)] += 1 } else { outside += 1 }
        }
        let total = max(1, f.data.count)
        for (c, n) in counts.enumerated() where n > 0 {
            let name = c < schema.count ? schema.classes[c].name : "(outside schema)"
            let pct = String(format: "%6.2f%%", 100 * Double(n) / Double(total))
            print("    \(String(c).leftPad(3)) \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(n).leftPad(12))  \(pct)")
        }
        if outside > 0 { print("    \(outside) voxels outside 0…255") }
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
