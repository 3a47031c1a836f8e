import Foundation

/// Directories that commands write their files into (`export --out`, `train --out`, `demo --dir`).
public enum OutputDirectory {
    /// Creates `directory` and its parents unless it exists.
    ///
    /// - Throws: `IOError(.badOutput)` when a file stands in its place (the user's input),
    ///   `IOError(.writeFailed)` when it cannot be created (permissions, a full disk).
    public static func create(_ directory: String) throws(IOError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else { throw IOError(.badOutput, file: directory, "exists and is not a directory") }
            return
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription
            throw IOError(.writeFailed, file: directory, "cannot create the directory" + (reason.map { ": \($0)" } ?? ""))
        }
    }
}
