import DenseCellCore
import Foundation

/// Where a Zarr or N5 store keeps its keys: a directory today (a key is a relative path); HTTP
/// range reads can implement the same calls without touching the readers.
protocol ChunkStore: Sendable {
    /// The store's location, as the user named it (errors name it).
    var location: String { get }
    /// The whole value of `key`, or nil when there is no such key.
    func read(_ key: String) throws(IOError) -> [UInt8]?
    /// Bytes `range` of `key` (a shard's index or one inner chunk), or nil when there is no such key.
    func read(_ key: String, range: Range<Int>) throws(IOError) -> [UInt8]?
    /// The size of `key` in bytes, or nil when there is no such key.
    func size(_ key: String) -> Int?
}

/// A store on the local file system: keys are paths below `root`.
struct DirectoryStore: ChunkStore {
    let root: String
    var location: String { root }

    func path(_ key: String) -> String { key.isEmpty ? root : root + "/" + key }

    func read(_ key: String) throws(IOError) -> [UInt8]? {
        guard let n = size(key) else { return nil }
        return try read(key, range: 0..<n)
    }

    func read(_ key: String, range: Range<Int>) throws(IOError) -> [UInt8]? {
        let fd = open(path(key), O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw IOError(.corrupt, file: root, dataset: key, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: range.count)
        var done = 0
        while done < range.count {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, range.count - done, off_t(range.lowerBound + done)) }
            if n < 0 { throw IOError(.corrupt, file: root, dataset: key, "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { throw IOError(.corrupt, file: root, dataset: key, "truncated: \(range.lowerBound + done) bytes where \(range.upperBound) were expected") }
            done += n
        }
        return bytes
    }

    func size(_ key: String) -> Int? {
        var st = stat()
        guard stat(path(key), &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    /// Whether `key` names a directory (a group or an array) in the store.
    func isDirectory(_ key: String) -> Bool {
        var st = stat()
        return stat(path(key), &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The JSON object stored at `key`, or nil when there is none.
    ///
    /// - Throws: `IOError(.corrupt)` naming the key when it is not a JSON object.
    func json(_ key: String) throws(IOError) -> [String: Any]? {
        guard let bytes = try read(key) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
              let dictionary = object as? [String: Any] else {
            throw IOError(.corrupt, file: root, dataset: key, "not a JSON object")
        }
        return dictionary
    }
}
