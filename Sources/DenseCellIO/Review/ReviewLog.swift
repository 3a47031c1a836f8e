import DenseCellCore
import Foundation

/// The append-only review log beside a study (`STUDY.review.jsonl`; see docs/ARCHITECTURE.md,
/// Review).
///
/// Each record is one JSON line written with a single `write` on an `O_APPEND` descriptor and
/// `fsync`ed before the call returns, so earlier lines are never rewritten and a process killed at
/// any moment loses at most the record in flight, which shows up as a torn last line.
public final class ReviewLog {
    /// The log's path.
    public let path: String
    private let descriptor: Int32

    /// `dir/study.h5` → `dir/study.review.jsonl`.
    public static func defaultPath(forStudy study: String) -> String { StudyFile.sibling(ofStudy: study, suffix: ".review.jsonl") }

    /// Set when opening found a torn last line (a writer killed mid-record) and cut it off.
    public private(set) var repaired: String?

    /// Opens (creating if needed) the log for appending. A torn last line is cut off first, so
    /// the next record starts on a line of its own.
    /// - Throws: `IOError.writeFailed` when the file cannot be opened for writing.
    public init(path: String) throws(IOError) {
        self.path = path
        descriptor = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            throw IOError(.writeFailed, file: path, "cannot open the review log: \(String(cString: strerror(errno)))")
        }
        let size = lseek(descriptor, 0, SEEK_END)
        guard size > 0 else { return }
        // Find the end of the last complete line, reading backwards in blocks.
        var end = size
        var block = [UInt8](repeating: 0, count: 4096)
        var keep: off_t = 0
        search: while end > 0 {
            let start = max(0, end - off_t(block.count))
            let n = block.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, Int(end - start), start) }
            guard n == Int(end - start) else { break }
            for i in stride(from: n - 1, through: 0, by: -1) where block[i] == UInt8(ascii: "\n") {
                keep = start + off_t(i) + 1
                break search
            }
            end = start
        }
        if keep < size {
            if ftruncate(descriptor, keep) != 0 || fsync(descriptor) != 0 {
                close(descriptor)
                throw IOError(.writeFailed, file: path, "cannot cut off the torn last line: \(String(cString: strerror(errno)))")
            }
            repaired = "\(path): the last line was incomplete (a writer was interrupted) and was removed"
        }
    }

    deinit { close(descriptor) }

    /// Appends one record durably: one `write`, then `fsync`.
    /// - Throws: `IOError.writeFailed` if the record could not be written whole.
    public func append(_ record: ReviewRecord) throws(IOError) {
        let line = Array((record.jsonLine() + "\n").utf8)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written != line.count {
            throw IOError(.writeFailed, file: path, "review record not written whole (\(written) of \(line.count) bytes)")
        }
        if fsync(descriptor) != 0 {
            throw IOError(.writeFailed, file: path, "cannot sync the review log: \(String(cString: strerror(errno)))")
        }
    }

    /// The records of a log and what was skipped reading it.
    public struct Contents: Sendable {
        /// The complete records, in log order.
        public var records: [ReviewRecord]
        /// Set when the last line was torn (a killed writer) and skipped.
        public var warning: String?
    }

    /// Reads every record of a log; a missing file is an empty log.
    ///
    /// - Parameter shape: when given, records made for a study of another shape are refused.
    /// - Throws: `IOError.corrupt` naming the line of a malformed record before the last line, or
    ///   `IOError.badShape` for a log of another study.
    public static func read(path: String, shape: Shape3? = nil) throws(IOError) -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw IOError(.corrupt, file: path, "cannot read the review log") }
            return Contents(records: [], warning: nil)
        }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let endsWithNewline = data.last == UInt8(ascii: "\n")
        if endsWithNewline || data.isEmpty { lines.removeLast() }
        let decoder = JSONDecoder()
        var records: [ReviewRecord] = []
        var warning: String? = nil
        for (index, line) in lines.enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            let isLast = index == lines.count - 1
            guard let record = try? decoder.decode(ReviewRecord.self, from: Data(line)) else {
                if isLast && !endsWithNewline {
                    warning = "\(path): line \(index + 1) is incomplete (a writer was interrupted); skipped"
                    break
                }
                throw IOError(.corrupt, file: path, "line \(index + 1) is not a review record")
            }
            if let shape, record.shape != [shape.z, shape.y, shape.x] {
                throw IOError(.badShape, file: path,
                              "line \(index + 1) was written for a study of shape \(record.shape.map(String.init).joined(separator: "×")), not \(shape): a log of another study")
            }
            records.append(record)
        }
        return Contents(records: records, warning: warning)
    }
}
