import Foundation

/// Writes new files under a temporary name and renames them into place, so a failure or a kill
/// never leaves a half-written file under the real name (see docs/ARCHITECTURE.md, "Volumes and
/// files"). Every writer of a new file goes through here.
public enum AtomicFile {
    /// The temporary name for `path`: a hidden sibling `.NAME.partial-PID` in the same directory,
    /// so the final rename never crosses file systems.
    public static func temporaryPath(for path: String) -> String {
        let dir = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        return (dir.isEmpty ? "" : dir + "/") + ".\(base).partial-\(getpid())"
    }

    /// Runs `body` with a temporary path to write, then renames the result to `path`.
    ///
    /// - Parameters:
    ///   - path: The final file name; an existing file there is replaced only on success.
    ///   - body: Writes the complete file at the path it is given.
    /// - Throws: `IOError` from `body` (the temporary file is removed first), or `.writeFailed`
    ///   when the rename fails.
    public static func write(to path: String, _ body: (String) throws(IOError) -> Void) throws(IOError) {
        let tmp = temporaryPath(for: path)
        do { try body(tmp) } catch {
            unlink(tmp)
            throw error
        }
        try moveIntoPlace(tmp, as: path)
    }

    /// Renames a finished temporary file to `path`, removing it when that fails.
    ///
    /// - Throws: `IOError(.writeFailed)` naming `path` and the system's reason.
    public static func moveIntoPlace(_ temporary: String, as path: String) throws(IOError) {
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw IOError(.writeFailed, file: path, "cannot move the finished file into place: \(reason)")
        }
    }
}
