import DenseCellIO
import Foundation

/// A report directory that appears complete or not at all: it is built under a hidden
/// temporary sibling and renamed into place at the end; a report already there is replaced
/// only then.
enum ReportDirectory {
    /// Marks a directory as a densecell report, so that only reports are ever replaced.
    static let generatorMarker = "densecell report"

    /// Checks that `directory` may be written: absent, empty, or an earlier report.
    static func checkTarget(_ directory: String) throws(IOError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir) else { return }
        guard isDir.boolValue else { throw IOError(.writeFailed, file: directory, "exists and is not a directory") }
        let contents = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        if contents.isEmpty { return }
        let index = (directory as NSString).appendingPathComponent("index.html")
        let head = fm.contents(atPath: index).map { String(decoding: $0.prefix(4096), as: UTF8.self) } ?? ""
        guard head.contains("content=\"\(generatorMarker)\"") else {
            throw IOError(.badOutput, file: directory, "exists and is not a densecell report; choose another --out or remove it")
        }
    }

    /// Creates the temporary sibling of `directory` (and missing parents) and returns its path.
    static func begin(_ directory: String) throws(IOError) -> String {
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty { try OutputDirectory.create(parent) }
        removeStale(directory)
        let temporary = sibling(directory, "partial")
        try? FileManager.default.removeItem(atPath: temporary)
        do { try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: false) } catch {
            throw IOError(.writeFailed, file: directory, "cannot create a directory beside it: \(error.localizedDescription)")
        }
        return temporary
    }

    /// Moves the finished report into place, replacing an earlier one.
    static func commit(_ temporary: String, to directory: String) throws(IOError) {
        let fm = FileManager.default
        var old: String? = nil
        if fm.fileExists(atPath: directory) {
            let moved = sibling(directory, "replaced")
            try? fm.removeItem(atPath: moved)
            guard rename(directory, moved) == 0 else {
                throw IOError(.writeFailed, file: directory, "cannot move the earlier report aside: \(String(cString: strerror(errno)))")
            }
            old = moved
        }
        guard rename(temporary, directory) == 0 else {
            let reason = String(cString: strerror(errno))
            if let old { _ = rename(old, directory) }
            throw IOError(.writeFailed, file: directory, "cannot move the finished report into place: \(reason)")
        }
        if let old { try? fm.removeItem(atPath: old) }
    }

    /// Removes what earlier runs that were killed (Ctrl-C, out of memory) left beside
    /// `directory`: temporary siblings whose process is gone.
    static func removeStale(_ directory: String) {
        let parent = (directory as NSString).deletingLastPathComponent
        let name = (directory as NSString).lastPathComponent
        let fm = FileManager.default
        for entry in (try? fm.contentsOfDirectory(atPath: parent.isEmpty ? "." : parent)) ?? [] {
            for what in ["partial", "replaced"] {
                let prefix = ".\(name).\(what)-"
                guard entry.hasPrefix(prefix), let pid = Int32(entry.dropFirst(prefix.count)), pid != getpid() else { continue }
                guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
                let path = (parent.isEmpty ? "" : parent + "/") + entry
                // Killed between moving the old report aside and the new one in: put the old one back.
                if what == "replaced" && !fm.fileExists(atPath: directory) && rename(path, directory) == 0 { continue }
                try? fm.removeItem(atPath: path)
            }
        }
    }

    /// Removes a temporary directory after a failure.
    static func discard(_ temporary: String) { try? FileManager.default.removeItem(atPath: temporary) }

    /// `dir/.name.<what>-<pid>`: hidden, on the same file system, so the final rename is atomic.
    static func sibling(_ directory: String, _ what: String) -> String {
        let trimmed = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let parent = (trimmed as NSString).deletingLastPathComponent
        let name = (trimmed as NSString).lastPathComponent
        return (parent.isEmpty ? "" : parent + "/") + ".\(name).\(what)-\(getpid())"
    }
}
