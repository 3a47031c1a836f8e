import DenseCellCore
import Foundation

/// One z-block of a segmentation computed apart (`segment --blocks N --block I`), as recorded in
/// its part file: a study-like HDF5 file holding `/labels/NAME` (and `/probabilities/NAME`) for
/// the block's slices only, with this record in the root attributes (docs/ARCHITECTURE.md,
/// Cluster). Parts of one run agree on everything but `block` and `z`.
public struct SegmentPart: Equatable, Sendable {
    /// The `format` attribute of every part file.
    public static let format = "densecell-segment-part"
    /// The `format_version` this build reads and writes.
    public static let formatVersion = 1

    /// This part's index, counting from 0, and how many blocks the run was cut into.
    public var block: Int, blocks: Int
    /// The slices this part holds (volume coordinates).
    public var z: Range<Int>
    /// The whole image's shape and the region of interest segmented.
    public var volume: Shape3, roi: Box3
    /// The label source's name and the image it was computed from (absolute reference).
    public var name: String, image: String
    /// The models (paths as given) and their content checksums.
    public var models: [String], modelChecksums: [String]
    /// The computation: window "ZxYxX", overlap, flips, precision actually used, probabilities kept.
    public var window: String, overlap: Double, tta: Bool, precision: String, probabilities: Bool
    /// Classes of the probabilities.
    public var classes: Int
    /// The whole image's normalization (mean, std), the same in every part of one run.
    public var normalization: [Double]

    /// A part record; the parameters are the properties of the same names.
    public init(block: Int, blocks: Int, z: Range<Int>, volume: Shape3, roi: Box3, name: String, image: String,
                models: [String], modelChecksums: [String], window: String, overlap: Double, tta: Bool,
                precision: String, probabilities: Bool, classes: Int, normalization: [Double]) {
        self.block = block; self.blocks = blocks; self.z = z; self.volume = volume; self.roi = roi
        self.name = name; self.image = image; self.models = models; self.modelChecksums = modelChecksums
        self.window = window; self.overlap = overlap; self.tta = tta; self.precision = precision
        self.probabilities = probabilities; self.classes = classes; self.normalization = normalization
    }

    /// The part file's study shape: the block's slices of the whole image's y and x.
    var partShape: Shape3 { Shape3(z.count, volume.y, volume.x) }

    /// Records this part in the root attributes of the part file being written.
    /// - Throws: `IOError` from HDF5.
    public func record(in writer: StudyWriter) throws(IOError) {
        let attributes: [(String, AttributeValue)] = [
            ("format", .string(Self.format)), ("format_version", .ints([Self.formatVersion])),
            ("block", .ints([block])), ("blocks", .ints([blocks])), ("z", .ints([z.lowerBound, z.upperBound])),
            ("volume", .ints([volume.z, volume.y, volume.x])),
            ("roi", .ints([roi.z.lowerBound, roi.z.upperBound, roi.y.lowerBound, roi.y.upperBound, roi.x.lowerBound, roi.x.upperBound])),
            ("name", .string(name)), ("image", .string(image)),
            ("models", .strings(models)), ("model_checksums", .strings(modelChecksums)),
            ("window", .string(window)), ("overlap", .doubles([overlap])), ("tta", .ints([tta ? 1 : 0])),
            ("precision", .string(precision)), ("probabilities", .ints([probabilities ? 1 : 0])),
            ("classes", .ints([classes])), ("normalization", .doubles(normalization)),
        ]
        for (key, value) in attributes { try writer.setAttribute("/", key, value) }
    }

    /// Reads the record of a part file.
    /// - Throws: `IOError` naming the file when it is missing, not HDF5 or not a densecell part.
    public static func read(path: String) throws(IOError) -> SegmentPart {
        guard FileManager.default.fileExists(atPath: path) else { throw IOError(.missingFile, file: path, "no such part file") }
        let f = try HDF5File(path: path)
        guard f.attribute("/", "format")?.stringValue == format else {
            throw IOError(.corrupt, file: path, "not a densecell segment part (written by segment --blocks N --block I)")
        }
        func ints(_ key: String, _ count: Int) throws(IOError) -> [Int] {
            guard let v = f.attribute("/", key)?.intValues, v.count == count else {
                throw IOError(.corrupt, file: path, "part attribute \(key) is missing or malformed")
            }
            return v
        }
        func string(_ key: String) throws(IOError) -> String {
            guard let v = f.attribute("/", key)?.stringValue else { throw IOError(.corrupt, file: path, "part attribute \(key) is missing") }
            return v
        }
        func strings(_ key: String) throws(IOError) -> [String] {
            switch f.attribute("/", key) {
            case .strings(let v)?: return v
            case .string(let v)?: return [v]
            default: throw IOError(.corrupt, file: path, "part attribute \(key) is missing")
            }
        }
        func doubles(_ key: String) throws(IOError) -> [Double] {
            guard let v = f.attribute("/", key)?.doubleValues else { throw IOError(.corrupt, file: path, "part attribute \(key) is missing") }
            return v
        }
        guard f.attribute("/", "format_version")?.intValues == [formatVersion] else {
            throw IOError(.corrupt, file: path, "part format version \(f.attribute("/", "format_version")?.intValues?.first ?? 0) is not \(formatVersion)")
        }
        let z = try ints("z", 2), v = try ints("volume", 3), r = try ints("roi", 6)
        guard z[0] < z[1] else { throw IOError(.corrupt, file: path, "part attribute z is an empty range") }
        let overlap = try doubles("overlap")
        guard overlap.count == 1 else { throw IOError(.corrupt, file: path, "part attribute overlap is malformed") }
        return SegmentPart(block: try ints("block", 1)[0], blocks: try ints("blocks", 1)[0], z: z[0]..<z[1],
                           volume: Shape3(v[0], v[1], v[2]), roi: Box3(z: r[0]..<r[1], y: r[2]..<r[3], x: r[4]..<r[5]),
                           name: try string("name"), image: try string("image"),
                           models: try strings("models"), modelChecksums: try strings("model_checksums"),
                           window: try string("window"), overlap: overlap[0], tta: try ints("tta", 1)[0] != 0,
                           precision: try string("precision"), probabilities: try ints("probabilities", 1)[0] != 0,
                           classes: try ints("classes", 1)[0], normalization: try doubles("normalization"))
    }

    /// What must be equal in every part of one run, with the words an error uses for each.
    var compatibility: [(String, String)] {
        [("block count", "\(blocks)"), ("image shape", "\(volume)"), ("region", "\(roi)"), ("image", image),
         ("models", modelChecksums.joined(separator: ",")), ("window", window), ("overlap", "\(overlap)"),
         ("flips", tta ? "on" : "off"), ("precision", precision), ("probabilities", probabilities ? "kept" : "not kept"),
         ("normalization", normalization.map { String($0) }.joined(separator: ","))]
    }
}

/// Parts that do not make one segmentation: missing, overlapping or incompatible (bad input).
public struct PartError: DenseCellError, Equatable {
    /// One line naming the parts at fault and why.
    public var message: String
    /// An error reporting `message`.
    public init(_ message: String) { self.message = message }
    /// The message shown to the user.
    public var description: String { message }
    /// Parts that do not fit together are bad input.
    public var exitStatus: ExitStatus { .badInput }
}

/// Assembles the parts of a `segment --blocks` run into one study (docs/ARCHITECTURE.md, Cluster).
public enum SegmentPartMerge {
    /// Reads and checks the parts: every block of the run exactly once, all from the same models,
    /// image and options, their slices tiling the region without gaps or overlaps.
    ///
    /// - Parameter paths: The part files, in any order.
    /// - Returns: The parts in block order with their paths.
    /// - Throws: `IOError` for an unreadable part, `PartError` naming the parts at fault otherwise.
    public static func check(_ paths: [String]) throws -> [(path: String, part: SegmentPart)] {
        guard !paths.isEmpty else { throw PartError("no part files given") }
        let parts = try paths.map { (path: $0, part: try SegmentPart.read(path: $0)) }
        let first = parts[0]
        for p in parts.dropFirst() {
            for ((what, a), (_, b)) in zip(first.part.compatibility, p.part.compatibility) where a != b {
                throw PartError("\(p.path): not a part of the run of \(first.path): its \(what) is \(b), not \(a)")
            }
        }
        let blocks = first.part.blocks
        var byBlock: [Int: (path: String, part: SegmentPart)] = [:]
        for p in parts {
            guard (0..<blocks).contains(p.part.block) else {
                throw PartError("\(p.path): block \(p.part.block) is out of range for \(blocks) blocks")
            }
            if let other = byBlock[p.part.block] {
                throw PartError("\(other.path) and \(p.path) are both block \(p.part.block) of \(blocks) (overlapping parts)")
            }
            byBlock[p.part.block] = p
        }
        let missing = (0..<blocks).filter { byBlock[$0] == nil }
        guard missing.isEmpty else {
            throw PartError("missing block\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(blocks) " +
                            "(have \(parts.count) part\(parts.count == 1 ? "" : "s"), e.g. \(first.path))")
        }
        let ordered = (0..<blocks).map { byBlock[$0]! }
        var next = first.part.roi.z.lowerBound
        for p in ordered {
            guard p.part.z.lowerBound == next else {
                throw PartError("\(p.path): block \(p.part.block) holds slices \(p.part.z) but \(next) comes next (overlapping or missing slices)")
            }
            next = p.part.z.upperBound
        }
        guard next == first.part.roi.z.upperBound else {
            throw PartError("\(ordered.last!.path): the parts end at slice \(next), not at the region's end \(first.part.roi.z.upperBound)")
        }
        return ordered
    }

    /// Checks the parts and writes their labels (and probabilities) as `/labels/NAME` of one study:
    /// a new one with the image the parts were computed from, or an existing one of that shape.
    ///
    /// - Parameters:
    ///   - paths: The part files.
    ///   - out: The study to write or add to; nothing reaches it unless everything succeeds.
    ///   - name: The label source's name, or nil for the name the parts were made with.
    ///   - started: Told the scratch file's path before it is written (to remove it on a signal).
    /// - Returns: The merged region's voxel count.
    /// - Throws: `PartError`/`IOError` for bad parts (before anything is written), `IOError` from writing.
    @discardableResult
    public static func merge(_ paths: [String], out: String, name: String? = nil,
                             started: ((String) -> Void)? = nil) throws -> Int {
        let parts = try check(paths)
        let run = parts[0].part
        let label = name ?? run.name
        let writer = try StudyWriter(path: out, shape: run.volume, existing: .addTo)
        started?(writer.scratchPath)
        do {
            if !writer.addsToExisting {
                // Opened in its own scope: the image file is closed before the commit writes.
                try copyImage(run.image, into: writer, for: parts[0].path, out: out)
            }
            try writer.createLabels(label, role: .algorithm, region: run.roi)
            if run.probabilities { try writer.createProbabilities(label, classes: run.classes, storage: .float16) }
            let plane = run.volume.y * run.volume.x
            let depth = ReadBudget.slabDepth(bytesPerPlane: plane * 4 * max(1, run.probabilities ? run.classes : 1))
            for (path, part) in parts {
                let f = try HDF5File(path: path)
                var z = 0
                while z < part.z.count {
                    let n = min(depth, part.z.count - z)
                    let box = Box3(z: (part.z.lowerBound + z)..<(part.z.lowerBound + z + n), y: 0..<run.volume.y, x: 0..<run.volume.x)
                    let labels = try f.readArray("/labels/" + run.name, as: .uint8, of: UInt8.self,
                                                 start: [z, 0, 0], count: [n, run.volume.y, run.volume.x])
                    try writer.writeLabels(label, box: box, labels.data)
                    if run.probabilities {
                        let p = try f.readArray("/probabilities/" + run.name, as: .float32, of: Float.self,
                                                start: [0, z, 0, 0], count: [run.classes, n, run.volume.y, run.volume.x])
                        try writer.writeProbabilities(label, box: box, classes: run.classes, p.data)
                    }
                    z += n
                }
            }
            try writer.setAttribute("/labels/" + label, "models", .strings(run.models))
            try writer.setAttribute("/labels/" + label, "model_checksums", .strings(run.modelChecksums))
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
        return run.roi.shape.count
    }

    /// Copies the image the parts were computed from into a new study.
    static func copyImage(_ reference: String, into writer: StudyWriter, for part: String, out: String) throws {
        let image: (source: VolumeSource, resolutionNM: [Double]?)
        do { image = try OpenedStudy.openImage(reference) } catch {
            throw PartError("\(part): the image \(reference) the parts were computed from cannot be read for the new study \(out) (\(error)); merge into an existing study instead")
        }
        try writer.copyImage(from: image.source, resolutionNM: image.resolutionNM)
    }
}
