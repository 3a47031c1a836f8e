import ArgumentParser
import DenseCellCore
import DenseCellEngine
import DenseCellIO
import Foundation

struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the model ensemble on a volume and write its labels (and probabilities) into a study file.",
        discussion: """
        Models are model files or directories of them; with --top K only the K with the highest \
        eval_miou_all are averaged. The image is scaled to mean 0 and std 1 over the whole volume, \
        cut into overlapping windows (default 5×256×256, step 2×128×128) blended with Gaussian \
        weights, and streamed slab by slab, so volumes larger than memory work.

        Output: /labels/NAME (uint8, role "algorithm") and, with --probabilities, \
        /probabilities/NAME (float16, classes×z×y×x). A new OUT also gets /image, making it a \
        study `view` opens. An existing OUT gets the datasets added in one short write after \
        computing; its /image must match the input's shape. With --roi the label volume still \
        covers the whole image: voxels outside the region are 0 and /masks/NAME (named by the \
        labels' `mask` attribute) marks the region, so metrics count only the labeled part.

        IMAGE may be a study file (meaning STUDY.h5:/image), FILE.h5:/DATASET, a TIFF stack or a \
        directory of PNG slices.

        Examples:
          densecell segment study.h5 --models models/ --out study.h5
          densecell segment study.h5 --models models/ --top 3 --out study.h5 \\
            --name top3 --probabilities
          densecell segment raw.h5:/volume --models m1.h5 m2.h5 --out result.h5 --tta
          densecell segment study.h5 --models models/ --out roi.h5 \\
            --roi 0:5,100:356,0:256 --window 5x128x128
        """
    )

    @Argument(help: "The image: STUDY.h5, FILE.h5:/DATASET, STACK.tif or a directory of PNG slices.")
    var image: String

    @Option(parsing: .upToNextOption, help: "Model files or directories of model files.")
    var models: [String]

    @Option(help: "Average only the K models with the highest eval_miou_all.")
    var top: Int?

    @Option(help: "Study file to write (created, or added to when it exists).")
    var out: String

    @Option(help: "Name of the label source (/labels/NAME).")
    var name = "ensemble"

    @Flag(help: "Also write the averaged class probabilities as float16.")
    var probabilities = false

    @Flag(help: "Test-time augmentation: average the flips along y and x (4× the work).")
    var tta = false

    @Option(help: "Window ZxYxX (y and x multiples of 4).")
    var window = "5x256x256"

    @Option(help: "Region of interest z0:z1,y0:y1,x0:x1 (half-open; empty bounds mean the edge).")
    var roi: String?

    @OptionGroup var inference: InferenceSettings

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("--models needs at least one model file or directory") }
        guard !name.isEmpty, !name.contains("/") else { throw ValidationError("--name must be a plain name without '/'") }
    }

    func run() throws {
        guard let windowShape = Shape3(parsing: window), windowShape.y % 4 == 0, windowShape.x % 4 == 0 else {
            throw UsageError("--window \(window): expected ZxYxX with y and x multiples of 4, e.g. 5x256x256")
        }
        let options = try inference.options(window: windowShape, tta: tta)
        let source = try ImageSource(reference: image)
        let volume = source.shape
        let box: Box3
        if let roi {
            guard let b = Box3.parse(roi, in: volume) else {
                throw UsageError("--roi \(roi): expected z0:z1,y0:y1,x0:x1 inside the image \(volume)")
            }
            box = b
        } else {
            box = Box3(shape: volume)
        }
        let ensemble: Ensemble
        do { ensemble = try Ensemble.load(paths: models, top: top) }
        catch let e as EngineError { throw UsageError(e.description) }
        let classes = ensemble.classes

        // An existing output must describe the same image.
        let outExists = FileManager.default.fileExists(atPath: out)
        if outExists {
            let file = try HDF5File(path: out)
            if file.isDataset("/image") {
                let info = try file.info("/image")
                if let s = VolumeReader.volumeShape(dims: info.dims), s != volume {
                    throw IOError(.badShape, file: out, dataset: "/image", "shape \(s) does not match the input image \(volume)")
                }
            }
        }

        let scratch = scratchPath(for: out)
        let start = Date()
        let bar = ProgressBar("segment", total: box.shape.count, unit: "voxels")
        ScratchCleanup.install(scratch)
        defer { ScratchCleanup.clear() }
        do {
            let normalization = try source.normalization()
            let file = try HDF5File(path: scratch, mode: .truncate)
            if !outExists { try source.copyImage(into: file) }
            let chunks = [min(volume.z, 4), min(volume.y, 256), min(volume.x, 256)]
            try file.createDataset("/labels/\(name)", dims: [volume.z, volume.y, volume.x], fileType: .uint8, chunks: chunks)
            if probabilities {
                try file.createDataset("/probabilities/\(name)", dims: [classes, volume.z, volume.y, volume.x],
                                       fileType: .float16, chunks: [1] + chunks)
            }
            FileHandle.standardError.write(Data(("densecell segment: \(ensemble.models.count) model\(ensemble.models.count == 1 ? "" : "s") " +
                "(width \(ensemble.models.map { String($0.width) }.joined(separator: ",")))," +
                " \(box.shape) voxels, window \(windowShape), overlap \(options.overlap)\(tta ? ", flips" : ""), " +
                "precision \(try inference.precisionChoice().explanation)\n").utf8))
            try ensemble.segmentStreaming(
                volume: volume, normalization: normalization, roi: box, options: options,
                wantProbabilities: probabilities, cancel: nil,
                read: { z in try source.read(z) },
                emit: { slab in
                    try Self.writeSlab(slab, roi: box, volume: volume, classes: classes, name: name, into: file)
                },
                progress: { p in bar.update(p.voxelsDone) })
            bar.finish("\(box.shape) voxels")
            try file.setAttribute("/labels/\(name)", "role", .string("algorithm"))
            try file.setAttribute("/labels/\(name)", "models", .strings(ensemble.models.map { ($0.path ?? "") }))
            try file.setAttribute("/labels/\(name)", "model_checksums", .strings(ensemble.checksums))
            if box != Box3(shape: volume) {
                try writeMask(box, volume: volume, into: file)
                try file.setAttribute("/labels/\(name)", "mask", .string("/masks/\(name)"))
                try file.setAttribute("/labels/\(name)", "roi", .ints([box.z.lowerBound, box.z.upperBound, box.y.lowerBound,
                                                                      box.y.upperBound, box.x.lowerBound, box.x.upperBound]))
            }
            try file.flush()
        } catch {
            if bar.interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            unlink(scratch)
            if let e = error as? EngineError { throw e.kind == .library ? WorkError(e.description) as Error : UsageError(e.description) }
            throw error
        }
        source.close()

        if outExists {
            defer { unlink(scratch) }
            try mergeScratch(scratch, into: out, volume: volume, classes: classes)
        } else if rename(scratch, out) != 0 {
            unlink(scratch)
            throw IOError(.writeFailed, file: out, "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
        let seconds = Date().timeIntervalSince(start)
        print("wrote \(out):/labels/\(name)\(probabilities ? " and /probabilities/\(name)" : "")  " +
              "\(box.shape) voxels in \(String(format: "%.1f", seconds)) s (\(Int(Double(box.shape.count) / max(seconds, 1e-9))) voxels/s)")
    }

    func scratchPath(for path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + ".\(base).partial-\(getpid())"
    }

    /// Writes a finished slab into the whole-volume datasets (outside the ROI stays 0).
    static func writeSlab(_ slab: Ensemble.Slab, roi: Box3, volume: Shape3, classes: Int, name: String, into file: HDF5File) throws {
        let n = slab.z.count
        try file.writeSlab("/labels/\(name)", start: [slab.z.lowerBound, roi.y.lowerBound, roi.x.lowerBound],
                           count: [n, roi.y.count, roi.x.count], data: slab.labels.data, memoryType: .uint8)
        if let p = slab.probabilities {
            try file.writeSlab("/probabilities/\(name)", start: [0, slab.z.lowerBound, roi.y.lowerBound, roi.x.lowerBound],
                               count: [classes, n, roi.y.count, roi.x.count], data: p, memoryType: .float32)
        }
    }

    func writeMask(_ box: Box3, volume: Shape3, into file: HDF5File) throws {
        let chunks = [min(volume.z, 4), min(volume.y, 256), min(volume.x, 256)]
        try file.createDataset("/masks/\(name)", dims: [volume.z, volume.y, volume.x], fileType: .uint8, chunks: chunks)
        let ones = [UInt8](repeating: 1, count: box.shape.count)
        try file.writeSlab("/masks/\(name)", start: [box.z.lowerBound, box.y.lowerBound, box.x.lowerBound],
                           count: [box.z.count, box.y.count, box.x.count], data: ones, memoryType: .uint8)
    }

    /// Adds the scratch file's datasets to an existing study in one open–write–close.
    func mergeScratch(_ scratch: String, into path: String, volume: Shape3, classes: Int) throws {
        let src = try HDF5File(path: scratch)
        let dst = try HDF5File(path: path, mode: .readWrite)
        let chunks = [min(volume.z, 4), min(volume.y, 256), min(volume.x, 256)]
        let slab = max(1, min(volume.z, (64 << 20) / max(1, classes * volume.y * volume.x * 4)))
        func copy(_ dataset: String, channels: Int?, type: ScalarType) throws {
            let dims = (channels.map { [$0] } ?? []) + [volume.z, volume.y, volume.x]
            try dst.createDataset(dataset, dims: dims, fileType: type, chunks: (channels == nil ? [] : [1]) + chunks)
            var z = 0
            while z < volume.z {
                let n = min(slab, volume.z - z)
                let start = (channels == nil ? [] : [0]) + [z, 0, 0]
                let count = (channels.map { [$0] } ?? []) + [n, volume.y, volume.x]
                if type == .uint8 {
                    let d = try src.readArray(dataset, as: .uint8, of: UInt8.self, start: start, count: count)
                    try dst.writeSlab(dataset, start: start, count: count, data: d.data, memoryType: .uint8)
                } else {
                    let d = try src.readArray(dataset, as: .float32, of: Float.self, start: start, count: count)
                    try dst.writeSlab(dataset, start: start, count: count, data: d.data, memoryType: .float32)
                }
                z += n
            }
        }
        let labels = "/labels/\(name)"
        try copy(labels, channels: nil, type: .uint8)
        for key in ["role", "models", "model_checksums", "mask", "roi"] {
            if let v = src.attribute(labels, key) { try dst.setAttribute(labels, key, v) }
        }
        if src.isDataset("/masks/\(name)") { try copy("/masks/\(name)", channels: nil, type: .uint8) }
        else if dst.exists("/masks/\(name)") { dst.delete("/masks/\(name)") }
        if probabilities { try copy("/probabilities/\(name)", channels: classes, type: .float16) }
        else if dst.exists("/probabilities/\(name)") { dst.delete("/probabilities/\(name)") }   // stale: no longer matches the labels
        try dst.flush()
    }
}

/// The image to segment, read whole slices at a time: HDF5 datasets stream from the file;
/// TIFF stacks and PNG directories are read into memory once.
final class ImageSource {
    let reference: VolumeReference
    let shape: Shape3
    private var file: HDF5File?
    private var dataset: String?
    private var memory: Volume<Float>?
    private var storedType: ScalarType = .float32
    private var resolution: [Double]?

    init(reference text: String) throws {
        var ref = try VolumeReference.parse(text)
        if case .hdf5 = ref.kind, ref.dataset == nil {
            // A study file means its /image.
            let f = try HDF5File(path: ref.path)
            guard f.isDataset("/image") else {
                throw IOError(.badReference, file: ref.path, "no /image dataset: name one as \(ref.path):/DATASET")
            }
            ref = try VolumeReference.parse(ref.path + ":/image")
        }
        reference = ref
        if case .hdf5 = ref.kind, let d = ref.dataset {
            let f = try HDF5File(path: ref.path)
            let info = try f.info(d)
            guard let scalar = info.scalarType else {
                throw IOError(.unsupportedType, file: ref.path, dataset: info.name, "unsupported dtype \(info.typeName)")
            }
            guard let s = VolumeReader.volumeShape(dims: info.dims) else {
                throw IOError(.badShape, file: ref.path, dataset: info.name,
                              "shape \(info.dims.map(String.init).joined(separator: "×")) is not a 3-D volume")
            }
            shape = s
            storedType = scalar == .uint8 ? .uint8 : .float32
            resolution = f.attribute(d, "resolution_nm")?.doubleValues
            if info.dims.count == 3 { file = f; dataset = info.name }
            else { memory = try VolumeReader.readHDF5(f, d).asFloat() }
        } else {
            let v = try VolumeReader.read(ref)
            if case .uint8 = v { storedType = .uint8 }
            memory = v.asFloat()
            shape = memory!.shape
        }
    }

    func read(_ z: Range<Int>) throws -> Volume<Float> {
        if let memory { return memory.extract(Box3(z: z, y: 0..<shape.y, x: 0..<shape.x)) }
        return try VolumeReader.readSlab(file!, dataset!, z: z)
    }

    /// Slices per read when streaming (about 64 MB of float).
    var slabDepth: Int { max(1, min(shape.z, (64 << 20) / max(1, shape.y * shape.x * 4))) }

    /// Mean and std over the whole volume, in one streaming pass.
    func normalization() throws -> InputNormalization {
        if let memory { return .of(memory) }
        var acc = InputNormalization.Accumulator()
        var z = 0
        while z < shape.z {
            let n = min(slabDepth, shape.z - z)
            acc.add(try read(z..<(z + n)).data)
            z += n
        }
        return acc.result
    }

    /// Copies the image into a new study file as /image (uint8 stays uint8).
    func copyImage(into out: HDF5File) throws {
        let chunks = [min(shape.z, 4), min(shape.y, 256), min(shape.x, 256)]
        try out.createDataset("/image", dims: [shape.z, shape.y, shape.x], fileType: storedType, chunks: chunks)
        var z = 0
        while z < shape.z {
            let n = min(slabDepth, shape.z - z)
            let v = try read(z..<(z + n))
            if storedType == .uint8 {
                try out.writeSlab("/image", start: [z, 0, 0], count: [n, shape.y, shape.x],
                                  data: v.data.map { UInt8(clamping: Int($0.rounded())) }, memoryType: .uint8)
            } else {
                try out.writeSlab("/image", start: [z, 0, 0], count: [n, shape.y, shape.x], data: v.data, memoryType: .float32)
            }
            z += n
        }
        if let resolution { try out.setAttribute("/image", "resolution_nm", .doubles(resolution)) }
    }

    /// Closes the input file, so the output (possibly the same file) can be opened for writing.
    func close() { file = nil; memory = nil }
}

/// Removes the half-written scratch file when the user interrupts a run (SIGINT, SIGTERM), so no
/// partial output is left behind.
enum ScratchCleanup {
    nonisolated(unsafe) static var path: UnsafeMutablePointer<CChar>?

    static func install(_ scratch: String) {
        path = strdup(scratch)
        for sig in [SIGINT, SIGTERM] {
            signal(sig) { sig in
                if let p = ScratchCleanup.path { unlink(p) }
                _exit(128 + sig)
            }
        }
    }

    static func clear() {
        signal(SIGINT, SIG_DFL); signal(SIGTERM, SIG_DFL)
        free(path); path = nil
    }
}
