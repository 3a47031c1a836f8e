import ArgumentParser
import DenseCellCore
import DenseCellIO
import Foundation

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a study or a volume into an HDF5 study or an OME-Zarr store.",
        discussion: """
        SRC is a whole study (an HDF5 study file, an OME-Zarr store) or one volume (FILE.h5:/DATASET, STACK.tif, a PNG directory, data.zarr/path/to/array, data.n5:/volumes/raw/s0), which becomes the image. --labels NAME=REF adds label sources. OUT ending in .zarr (.ome.zarr) is written as OME-Zarr: the image as a multiscale (2× in y and x, mean), each label source as labels/NAME (mode; image-label colors and names from the schema, its role as attribute "role"), probabilities as probabilities/NAME. Any other OUT is an HDF5 study.

        OME-Zarr is OME-NGFF 0.4 on Zarr v2 (default) or 0.5 on Zarr v3 (--zarr-version 3; implied by --shard). Chunks are 4×256×256 unless --chunks says otherwise; --shard groups them into shards (a multiple of the chunks). OUT is written into a hidden scratch directory and renamed into place when complete; an existing store is replaced only then.

        Examples:
          densecell convert study.h5 --out study.ome.zarr
          densecell convert study.h5 --out study.ome.zarr --zarr-version 3 --shard 8x1024x1024 --codec blosc-zstd
          densecell convert data.ome.zarr --out study.h5
          densecell convert 50-images.tif --labels truth=50-labels.tif --out platelets.ome.zarr --levels 3
          densecell convert data.n5:/volumes/raw/s0 --out raw.ome.zarr
        """
    )

    @Argument(help: "A study (HDF5 file, OME-Zarr store) or a volume reference.")
    var source: String

    @Option(help: "Output: an HDF5 study (.h5) or an OME-Zarr store (.ome.zarr, .zarr).")
    var out: String

    @Option(name: .customLong("labels"), help: ArgumentHelp("A label source to add, as NAME=REF (repeatable).", valueName: "NAME=REF"))
    var labels: [String] = []

    @Option(name: .customLong("zarr-version"), help: "Zarr version of an OME-Zarr OUT: 2 (OME-NGFF 0.4) or 3 (0.5).")
    var zarrVersion: Int?

    @Option(help: ArgumentHelp("Chunk compression of an OME-Zarr OUT: zstd, blosc-zstd or gzip.", valueName: "codec"))
    var codec: String = "zstd"

    @Option(help: ArgumentHelp("Chunk shape of an OME-Zarr OUT.", valueName: "ZxYxX"))
    var chunks: String?

    @Option(help: ArgumentHelp("Shard shape of an OME-Zarr OUT (Zarr v3), a multiple of the chunks.", valueName: "ZxYxX"))
    var shard: String?

    @Option(help: "Resolution levels of an OME-Zarr OUT, full resolution included (default: halve until 128 pixels).")
    var levels: Int?

    @OptionGroup var schemaOption: SchemaOption

    func validate() throws {
        if let zarrVersion, zarrVersion != 2 && zarrVersion != 3 { throw ValidationError("--zarr-version must be 2 or 3") }
        if ZarrCompression(rawValue: codec) == nil { throw ValidationError("--codec must be zstd, blosc-zstd or gzip") }
        if let chunks, Shape3(parsing: chunks) == nil { throw ValidationError("--chunks must look like 4x256x256") }
        if let shard, Shape3(parsing: shard) == nil { throw ValidationError("--shard must look like 8x1024x1024") }
        if shard != nil && zarrVersion == 2 { throw ValidationError("--shard needs --zarr-version 3") }
        if let levels, levels < 1 { throw ValidationError("--levels must be 1 or more") }
        let zarrOnly = zarrVersion != nil || codec != "zstd" || chunks != nil || shard != nil || levels != nil
        if zarrOnly && !StudyConversion.isZarr(out) {
            throw ValidationError("--zarr-version, --codec, --chunks, --shard and --levels apply to an OME-Zarr OUT (.ome.zarr)")
        }
    }

    func run() throws {
        let schema = try schemaOption.load()
        // A reference naming one volume is the image; a study file or store is a study.
        let ref = try VolumeReference.parse(source)
        // A store converted onto itself would lose what a conversion does not carry (probabilities, loose masks).
        if URL(fileURLWithPath: ref.path).standardizedFileURL.path == URL(fileURLWithPath: out).standardizedFileURL.path {
            throw UsageError("--out \(out) is the source itself: convert into a new path, then rename")
        }
        let isVolume: Bool
        switch ref.kind {
        case .tiff, .pngDirectory: isVolume = true
        case .hdf5, .zarr, .n5: isVolume = ref.dataset != nil
        }
        let study = try OpenedStudy.open(study: isVolume ? nil : source, image: isVolume ? source : nil,
                                         labels: try LabelReferences.parse(labels), schema: schema)
        let options = OMEZarrOptions(zarrVersion: zarrVersion ?? (shard != nil ? 3 : 2), compression: ZarrCompression(rawValue: codec)!,
                                     chunks: chunks.flatMap(Shape3.init(parsing:)), shard: shard.flatMap(Shape3.init(parsing:)), levels: levels)
        let destination = try StudyConversion.destination(out, shape: study.shape, options: options)
        if let writer = destination as? StudyWriter { ScratchCleanup.install(writer.scratchPath) }
        var bar: (part: String, bar: ProgressBar)? = nil
        try StudyConversion.convert(study, into: destination) { part, done, total in
            if bar?.part != part {
                bar?.bar.finish()
                bar = (part, ProgressBar("convert: \(part)", total: total, unit: "slices"))
            }
            bar!.bar.update(done)
        }
        bar?.bar.finish()
        ScratchCleanup.clear()
        let parts = ["image"] + study.labels.map { "labels \($0.name)" } + study.probabilityNames.map { "probabilities \($0)" }
        print("\(destination.path): \(parts.joined(separator: ", "))")
    }
}
