import Foundation

/// Removes a half-written scratch file when the user interrupts a run (SIGINT, SIGTERM), so no
/// partial output is left behind. One scratch file per process, installed by the command writing it.
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
