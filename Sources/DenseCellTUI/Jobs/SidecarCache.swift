import DenseCellCore
import DenseCellIO
import Foundation

/// Ensemble results kept beside the study (`STUDY.densecell-cache.h5`), keyed by the models'
/// checksums, so a second visit shows them at once. The viewer writes only this file, never
/// the user's inputs, and writes it whole under a temporary name (a killed viewer leaves the
/// previous cache or none, never a half-written one).
public enum SidecarCache {
    static let labelsDataset = "/ensemble/labels"
    static let doneDataset = "/ensemble/done"

    /// `dir/study.h5` → `dir/study.densecell-cache.h5`.
    public static func path(forStudy study: String) -> String { StudyFile.sibling(ofStudy: study, suffix: ".densecell-cache.h5") }

    /// The cached labels and coverage for these models and this image shape, if any.
    static func load(path: String, key: String, shape: Shape3) -> (labels: Volume<UInt8>, done: Volume<UInt8>)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let file = try HDF5File(path: path)
            guard file.attribute("/ensemble", "models")?.stringValue == key,
                  file.isDataset(labelsDataset), file.isDataset(doneDataset) else { return nil }
            let labels = try VolumeReader.readHDF5(file, labelsDataset)
            let done = try VolumeReader.readHDF5(file, doneDataset)
            guard case .uint8(let l) = labels, case .uint8(let d) = done, l.shape == shape, d.shape == shape else { return nil }
            return (l, d)
        } catch {
            return nil   // an unreadable cache is just a cold cache
        }
    }

    static func write(path: String, key: String, labels: Volume<UInt8>, done: Volume<UInt8>) throws(IOError) {
        let s = labels.shape
        let chunks = StudyWriter.chunks(for: s)
        try AtomicFile.write(to: path) { (tmp: String) throws(IOError) in
            let file = try HDF5File(path: tmp, mode: .truncate)
            try file.writeArray(labelsDataset, dims: [s.z, s.y, s.x], data: labels.data, memoryType: .uint8, chunks: chunks, gzip: 1)
            try file.writeArray(doneDataset, dims: [s.z, s.y, s.x], data: done.data, memoryType: .uint8, chunks: chunks, gzip: 1)
            try file.setAttribute("/ensemble", "models", .string(key))
            try file.flush()
        }
    }
}
