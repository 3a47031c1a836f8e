import DenseCellCore
import Foundation

/// The viewer's sidecar file (`STUDY.densecell-cache.h5`): what is slow to recompute and changes
/// only when the study does — ensemble labels as they are computed, the multiscale pyramid of every
/// source, per-slice statistics — each stored under a key naming what it was derived from, so a
/// changed source is noticed and its entries rebuilt (see docs/ARCHITECTURE.md, "Viewer cache").
///
/// The viewer writes it in place while it runs, never the user's inputs. A cache it cannot open
/// (truncated by a killed viewer, another program's file, an older layout) is replaced by an empty
/// one: a cold cache, never an error.
public final class ViewerCacheFile: @unchecked Sendable {
    /// The open file (reads and writes go through HDF5's process-wide lock).
    public let file: HDF5File
    /// Where it is.
    public let path: String
    /// Why an existing file was replaced, when it was (for the viewer's footer).
    public private(set) var replacedBecause: String?
    static let layoutVersion = "1"

    /// `dir/study.h5` → `dir/study.densecell-cache.h5`.
    public static func path(forStudy study: String) -> String { StudyFile.sibling(ofStudy: study, suffix: ".densecell-cache.h5") }

    /// Opens the cache at `path`, or creates it; a file that cannot be used is replaced.
    ///
    /// - Throws: `IOError(.writeFailed)` when no cache can be created there (a read-only folder).
    public init(path: String) throws(IOError) {
        self.path = path
        if FileManager.default.fileExists(atPath: path) {
            do {
                let f = try HDF5File(path: path, mode: .readWrite)
                if f.attribute("/", "densecell_cache")?.stringValue == Self.layoutVersion {
                    file = f
                    return
                }
                replacedBecause = "the viewer cache \(path) has another layout; rebuilt"
            } catch {
                replacedBecause = "the viewer cache \(path) could not be read (\(error.message)); rebuilt"
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        file = try HDF5File(path: path, mode: .truncate)
        try file.setAttribute("/", "densecell_cache", .string(Self.layoutVersion))
        try file.flush()
    }

    /// A cache in the temporary folder, removed when the viewer ends (no study file to sit beside,
    /// or a folder the viewer may not write).
    public static func temporary() throws(IOError) -> ViewerCacheFile {
        let folder = NSTemporaryDirectory()
        removeAbandoned(in: folder)
        let path = (folder as NSString).appendingPathComponent("\(temporaryPrefix)\(getpid())-\(UUID().uuidString.prefix(8)).h5")
        return try ViewerCacheFile(path: path)
    }

    static let temporaryPrefix = "densecell-view-"

    /// Removes temporary caches of viewers that are no longer running (killed before they could).
    static func removeAbandoned(in folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(temporaryPrefix) && name.hasSuffix(".h5") {
            let pidText = name.dropFirst(temporaryPrefix.count).prefix { $0.isNumber }
            guard let pid = pid_t(pidText), pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
            }
        }
    }

    /// A short stable name for a key (FNV-1a, hex): HDF5 group names cannot hold arbitrary text.
    /// (Not zero-padded, as caches already written name their groups.)
    public static func digest(_ key: String) -> String { String(FNV1a.hash(key.utf8), radix: 16) }

    /// What identifies a volume on disk: its reference, shape, stored type and the file's size and
    /// modification time, so a rewritten source no longer matches.
    public static func identity(of source: VolumeSource) -> String {
        let fm = FileManager.default
        var size = 0, modified = 0.0
        func add(_ path: String) {
            let attributes = try? fm.attributesOfItem(atPath: path)
            size += (attributes?[.size] as? NSNumber)?.intValue ?? 0
            modified = max(modified, (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
        }
        let path = source.reference.path
        add(path)
        // A folder of PNG slices: a slice rewritten in place changes the folder's listing only by its file.
        if case .pngDirectory = source.reference.kind, let names = try? fm.contentsOfDirectory(atPath: path) {
            for name in names { add((path as NSString).appendingPathComponent(name)) }
        }
        return "\(source.reference) \(source.shape) \(source.typeName) \(size) \(modified)"
    }

    // MARK: Blobs

    /// The bytes stored under `name` when its key attribute equals `key`.
    public func blob(_ name: String, key: String) -> [UInt8]? {
        guard file.isDataset(name), file.attribute(name, "key")?.stringValue == key,
              let (_, data) = try? file.readArray(name, as: .uint8, of: UInt8.self) else { return nil }
        return data
    }

    /// Stores `bytes` under `name` with `key`, replacing what was there.
    ///
    /// - Throws: `IOError(.writeFailed)`.
    public func setBlob(_ name: String, key: String, _ bytes: [UInt8]) throws(IOError) {
        try file.writeArray(name, dims: [max(1, bytes.count)], data: bytes.isEmpty ? [0] : bytes, memoryType: .uint8, gzip: 0)
        try file.setAttribute(name, "key", .string(key))
        try file.flush()
    }

    // MARK: Volumes

    /// Creates (replacing) a uint8 volume dataset of `shape`, chunked for reading planes: voxels
    /// never written read as 0 and take no space.
    ///
    /// - Throws: `IOError(.writeFailed)`.
    public func createVolume(_ name: String, shape: Shape3, chunkDepth: Int = 1) throws(IOError) {
        try file.createDataset(name, dims: [shape.z, shape.y, shape.x], fileType: .uint8,
                               chunks: [chunkDepth, min(shape.y, 256), min(shape.x, 256)], gzip: 1)
    }

    /// Creates (replacing) a uint8 volume of class labels densecell computes (the ensemble's), marked
    /// so that its readers take the values as classes whatever values the schema lists.
    ///
    /// - Throws: `IOError(.writeFailed)`.
    public func createClassLabelsVolume(_ name: String, shape: Shape3) throws(IOError) {
        try createVolume(name, shape: shape)
        try file.setAttribute(name, StudyFile.labelValuesAttribute.name, .string(StudyFile.labelValuesAttribute.classIndices))
    }

    /// Creates (replacing) a float32 volume dataset of `shape`, chunked by planes.
    ///
    /// - Throws: `IOError(.writeFailed)`.
    public func createFloatVolume(_ name: String, shape: Shape3) throws(IOError) {
        try file.createDataset(name, dims: [shape.z, shape.y, shape.x], fileType: .float32,
                               chunks: [1, min(shape.y, 256), min(shape.x, 256)], gzip: 1)
    }

    /// Writes `data` (C order) into `box` of a volume dataset.
    ///
    /// - Throws: `IOError(.writeFailed)`.
    public func write<T>(_ name: String, box: Box3, _ data: [T], type: ScalarType) throws(IOError) {
        try file.writeSlab(name, start: [box.z.lowerBound, box.y.lowerBound, box.x.lowerBound],
                           count: [box.z.count, box.y.count, box.x.count], data: data, memoryType: type)
    }

    /// A reader of a volume dataset of the cache.
    ///
    /// - Throws: `IOError` when it is missing.
    public func volume(_ name: String) throws(IOError) -> VolumeSource { try VolumeReader.open(file, name) }

    /// Sets a text attribute on a group or dataset (created as a group when missing).
    ///
    /// - Throws: `IOError(.writeFailed)`.
    public func setKey(_ object: String, _ value: String) throws(IOError) {
        if !file.exists(object) { try file.makeGroup(object) }
        try file.setAttribute(object, "key", .string(value))
    }

    /// The text attribute `key` of a group or dataset.
    public func key(_ object: String) -> String? { file.attribute(object, "key")?.stringValue }

    /// Removes a dataset or group.
    public func remove(_ name: String) { if file.exists(name) { file.delete(name) } }

    /// Pushes what was written to the file.
    public func flush() { try? file.flush() }

    /// Deletes the file (a temporary cache at the end).
    public func removeFile() { try? FileManager.default.removeItem(atPath: path) }
}
