import Foundation

/// The running densecell binary, for the job scripts that call it again on a cluster.
enum DenseCellExecutable {
    /// Absolute path of this executable (from /proc/self/exe, else the command as invoked).
    static var path: String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        let invoked = CommandLine.arguments[0]
        return invoked.hasPrefix("/") ? invoked : FileManager.default.currentDirectoryPath + "/" + invoked
    }
}
