import CHDF5
import DenseCellCore
import Foundation

/// An attribute value as densecell writes and reads it.
public enum AttributeValue: Equatable, Sendable {
    /// One string (written as a scalar variable-length UTF-8 string).
    case string(String)
    /// A list of strings.
    case strings([String])
    /// Integers of any stored width, as Int.
    case ints([Int])
    /// Floating-point numbers of any stored width, as Double.
    case doubles([Double])

    /// The string, or the only string of a one-element list.
    public var stringValue: String? { if case .string(let s) = self { return s }; if case .strings(let s) = self, s.count == 1 { return s[0] }; return nil }
    /// The numbers as integers (doubles truncated), or nil for strings.
    public var intValues: [Int]? {
        switch self { case .ints(let v): v; case .doubles(let v): v.map { Int($0) }; default: nil }
    }
    /// The numbers as doubles, or nil for strings.
    public var doubleValues: [Double]? {
        switch self { case .doubles(let v): v; case .ints(let v): v.map { Double($0) }; default: nil }
    }
}

/// What `info` and readers need to know about a dataset without reading it.
public struct DatasetInfo: Sendable {
    /// The dataset's full path, starting with `/`.
    public var name: String
    /// The extent of every axis, slowest first.
    public var dims: [Int]
    /// The stored element type's name: `uint8`, `int64`, `float16`, `string`, …
    public var typeName: String
    /// The element type densecell reads it as, or nil when it cannot be read as numbers.
    public var scalarType: ScalarType?
    /// The chunk shape, or nil for contiguous storage.
    public var chunks: [Int]?
    /// The filters in pipeline order, e.g. `shuffle`, `gzip 1`.
    public var filters: [String]
    /// The filters' HDF5 ids, in the same order.
    var filterIDs: [Int] = []

    /// How it is stored, as `info` shows it: `chunks 4×256×256, shuffle, gzip 1` or `contiguous`.
    public var storage: String {
        var text = chunks.map { "chunks " + $0.map(String.init).joined(separator: "×") } ?? "contiguous"
        if !filters.isEmpty { text += ", " + filters.joined(separator: ", ") }
        return text
    }
}

/// The HDF5 filters the field's files use, by registered id: what to call them, and where a
/// reader gets the ones HDF5 does not build in (see docs/ARCHITECTURE.md, "HDF5 filters").
enum HDF5Filters {
    static let known: [Int: (name: String, package: String?)] = [
        1: ("gzip", nil), 2: ("shuffle", nil), 3: ("fletcher32", nil), 4: ("szip", "libhdf5 built with szip"),
        5: ("nbit", nil), 6: ("scaleoffset", nil),
        307: ("bzip2", "hdf5-filter-plugin"),
        32000: ("lzf", nil),   // registered by densecell on liblzf
        32001: ("blosc", "hdf5-filter-plugin-blosc-serial"),
        32004: ("lz4", "hdf5-filter-plugin"),
        32008: ("bitshuffle", "bitshuffle"),
        32013: ("zfp", "hdf5-filter-plugin-zfp-serial"),
        32015: ("zstd", nil),  // registered by densecell on libzstd
        32017: ("sz", nil),
    ]

    /// `blosc`, `filter 32099`.
    static func name(_ id: Int) -> String { known[id]?.name ?? "filter \(id)" }

    /// The first filter of `ids` HDF5 cannot apply here, with what would provide it.
    static func missing(_ ids: [Int]) -> String? {
        guard let id = ids.first(where: { dc_h5_filter_available(Int32($0)) == 0 }) else { return nil }
        let remedy = known[id]?.package.map { " (Debian's \($0) provides it)" } ?? " (no Debian package provides it)"
        return "uses HDF5 filter \(id) (\(name(id))), not available here\(remedy)"
    }
}

/// Serialises calls into the HDF5 library. Taking it also silences HDF5's error printing for the
/// calling thread: that setting is per thread, and a diagnostic printed from a background thread
/// (the viewer's loader, its pass, an ensemble job) would scroll the viewer's screen; failures are
/// reported through `IOError` instead.
final class HDF5Lock: @unchecked Sendable {
    private let mutex = NSRecursiveLock()
    func lock() {
        mutex.lock()
        dc_h5_quiet()
        // Once per process, before anything is read: LZF and zstd are decoded by densecell itself.
        _ = dc_h5_register_filters()
    }
    func unlock() { mutex.unlock() }
}

let hdf5Lock = HDF5Lock()

/// An open HDF5 file, closed when the last reference goes. Every call into HDF5 holds one
/// process-wide lock (Debian's HDF5 is not thread-safe), so files may be shared across threads.
public final class HDF5File: @unchecked Sendable {
    /// How to open a file.
    public enum Mode {
        /// Read an existing file.
        case readOnly
        /// Read and change an existing file in place.
        case readWrite
        /// Create the file, replacing any file of that name (use a temporary name: see `AtomicFile`).
        case truncate
    }
    /// The path errors name: the one the file was opened with, or the name it is reported as.
    public let path: String
    let id: hid_t

    /// Opens or creates an HDF5 file.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - mode: How to open it.
    ///   - reportedAs: The path errors name instead, for a scratch file that will become the
    ///     user's file (users never see temporary names).
    /// - Throws: `IOError(.missingFile)` when there is no such file, `.corrupt` when it is not
    ///   HDF5 or cannot be opened, `.writeFailed` when it cannot be created.
    public init(path: String, mode: Mode = .readOnly, reportedAs: String? = nil) throws(IOError) {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        dc_h5_quiet()
        let reported = reportedAs ?? path
        self.path = reported
        let fm = FileManager.default
        var fid: hid_t = -1
        switch mode {
        case .readOnly, .readWrite:
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
                throw IOError(.missingFile, file: reported, "no such file")
            }
            guard H5Fis_hdf5(path) > 0 else {
                throw IOError(.corrupt, file: reported, "not an HDF5 file, or truncated or corrupt")
            }
            fid = H5Fopen(path, mode == .readOnly ? dc_h5f_acc_rdonly() : dc_h5f_acc_rdwr(), dc_h5p_default())
            if fid < 0 { throw IOError(.corrupt, file: reported, "cannot open: truncated or corrupt HDF5 file") }
        case .truncate:
            fid = H5Fcreate(path, dc_h5f_acc_trunc(), dc_h5p_default(), dc_h5p_default())
            if fid < 0 { throw IOError(.writeFailed, file: reported, "cannot create file") }
        }
        id = fid
    }

    deinit {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        H5Fclose(id)
    }

    /// Flushes and closes now (also done on deinit). Errors here mean the file is incomplete.
    public func flush() throws(IOError) {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        if H5Fflush(id, H5F_SCOPE_GLOBAL) < 0 { throw IOError(.writeFailed, file: path, "flush failed") }
    }

    static func normalize(_ name: String) -> String { name.hasPrefix("/") ? name : "/" + name }

    /// True when every component of `name` exists.
    public func exists(_ name: String) -> Bool {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        var prefix = ""
        for part in Self.normalize(name).split(separator: "/") {
            prefix += "/" + part
            if H5Lexists(id, prefix, dc_h5p_default()) <= 0 { return false }
        }
        return true
    }

    /// True when `name` exists and is a dataset (not a group).
    public func isDataset(_ name: String) -> Bool {
        guard exists(name) else { return false }
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let o = H5Oopen(id, Self.normalize(name), dc_h5p_default())
        guard o >= 0 else { return false }
        defer { H5Oclose(o) }
        return H5Iget_type(o) == H5I_DATASET
    }

    /// Full paths of every dataset in the file, in name order.
    public func datasetNames() -> [String] {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        final class Box { var names: [String] = []; var groups: [String] = [] }
        var result: [String] = []
        var pending = ["/"]
        while let group = pending.first {
            pending.removeFirst()
            let gid = H5Gopen2(id, group, dc_h5p_default())
            guard gid >= 0 else { continue }
            let box = Box()
            var idx: hsize_t = 0
            _ = withUnsafeMutablePointer(to: &idx) { idxp in
                H5Literate(gid, H5_INDEX_NAME, H5_ITER_INC, idxp, { g, name, _, data in
                    let box = Unmanaged<Box>.fromOpaque(data!).takeUnretainedValue()
                    let n = String(cString: name!)
                    let o = H5Oopen(g, name, dc_h5p_default())
                    if o >= 0 {
                        switch H5Iget_type(o) {
                        case H5I_DATASET: box.names.append(n)
                        case H5I_GROUP: box.groups.append(n)
                        default: break
                        }
                        H5Oclose(o)
                    }
                    return 0
                }, Unmanaged.passUnretained(box).toOpaque())
            }
            H5Gclose(gid)
            let base = group == "/" ? "" : group
            result += box.names.map { base + "/" + $0 }
            pending += box.groups.map { base + "/" + $0 }
        }
        return result.sorted()
    }

    /// Creates the groups leading to `name` if missing.
    func makeParents(of name: String) throws(IOError) {
        let parts = Self.normalize(name).split(separator: "/").dropLast()
        var prefix = ""
        for part in parts {
            prefix += "/" + part
            if H5Lexists(id, prefix, dc_h5p_default()) <= 0 {
                let g = H5Gcreate2(id, prefix, dc_h5p_default(), dc_h5p_default(), dc_h5p_default())
                if g < 0 { throw IOError(.writeFailed, file: path, dataset: prefix, "cannot create group") }
                H5Gclose(g)
            }
        }
    }

    /// Creates the group `name` (and its parents) if missing.
    ///
    /// - Throws: `IOError(.writeFailed)`.
    func makeGroup(_ name: String) throws(IOError) {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        try makeParents(of: Self.normalize(name) + "/_")
    }

    /// Removes a dataset or group link (the space is reclaimed only when the file is rewritten).
    func delete(_ name: String) {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        H5Ldelete(id, Self.normalize(name), dc_h5p_default())
    }

    // MARK: Datasets

    func openDataset(_ name: String) throws(IOError) -> hid_t {
        let n = Self.normalize(name)
        var prefix = ""
        for part in n.split(separator: "/") {
            prefix += "/" + part
            if H5Lexists(id, prefix, dc_h5p_default()) <= 0 {
                throw IOError(.missingDataset, file: path, dataset: n, "no such dataset")
            }
        }
        let d = H5Dopen2(id, n, dc_h5p_default())
        if d < 0 { throw IOError(.missingDataset, file: path, dataset: n, "not a dataset") }
        return d
    }

    /// Shape, element type, chunking and filters of a dataset, without reading it.
    ///
    /// - Throws: `IOError(.missingDataset)` when there is no such dataset.
    public func info(_ name: String) throws(IOError) -> DatasetInfo {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let d = try openDataset(name)
        defer { H5Dclose(d) }
        let space = H5Dget_space(d); defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: max(rank, 0))
        if rank > 0 { H5Sget_simple_extent_dims(space, &dims, nil) }
        let t = H5Dget_type(d); defer { H5Tclose(t) }
        let (typeName, scalar) = Self.describe(type: t)
        let plist = H5Dget_create_plist(d); defer { H5Pclose(plist) }
        var chunks: [Int]? = nil
        if H5Pget_layout(plist) == H5D_CHUNKED {
            var c = [hsize_t](repeating: 0, count: max(rank, 1))
            H5Pget_chunk(plist, Int32(rank), &c)
            chunks = c.prefix(rank).map { Int($0) }
        }
        var filters: [String] = [], filterIDs: [Int] = []
        for i in 0..<max(0, H5Pget_nfilters(plist)) {
            var flags: UInt32 = 0, nelmts: Int = 4, config: UInt32 = 0
            var cd = [UInt32](repeating: 0, count: 4)
            var buf = [CChar](repeating: 0, count: 64)
            let f = H5Pget_filter2(plist, UInt32(i), &flags, &nelmts, &cd, 64, &buf, &config)
            if f == H5Z_FILTER_DEFLATE { filters.append("gzip \(cd[0])") }
            else if f == H5Z_FILTER_SHUFFLE { filters.append("shuffle") }
            else { filters.append(HDF5Filters.name(Int(f))) }
            filterIDs.append(Int(f))
        }
        return DatasetInfo(name: Self.normalize(name), dims: dims.map { Int($0) }, typeName: typeName,
                           scalarType: scalar, chunks: chunks, filters: filters, filterIDs: filterIDs)
    }

    /// The file type's name and the type densecell reads it as: narrow integers as int32,
    /// int64, uint32 and uint64 as int64 (uint64 values above 2^63 − 1 are refused when read),
    /// float16/32 as float32 and float64 as float64, so no value is saturated or rounded.
    static func describe(type t: hid_t) -> (String, ScalarType?) {
        let size = H5Tget_size(t)
        switch H5Tget_class(t) {
        case H5T_INTEGER:
            let signed = H5Tget_sign(t) == H5T_SGN_2
            let name = (signed ? "int" : "uint") + String(size * 8)
            switch (signed, size) {
            case (false, 1): return (name, .uint8)
            case (false, 2): return (name, .uint16)
            case (true, 1), (true, 2), (true, 4): return (name, .int32)
            case (true, 8), (false, 4), (false, 8): return (name, .int64)
            default: return (name, nil)
            }
        case H5T_FLOAT:
            switch size {
            case 2: return ("float16", .float32)
            case 4: return ("float32", .float32)
            case 8: return ("float64", .float64)
            default: return ("float\(size * 8)", nil)
            }
        case H5T_STRING: return ("string", nil)
        case H5T_COMPOUND: return ("compound", nil)
        case H5T_ENUM: return ("enum", nil)
        default: return ("unsupported", nil)
        }
    }

    static func memoryType(_ t: ScalarType) -> hid_t {
        switch t {
        case .uint8: dc_h5t_native_uint8()
        case .uint16: dc_h5t_native_uint16()
        case .int32: dc_h5t_native_int32()
        case .float32: dc_h5t_native_float()
        case .float16: dc_h5t_ieee_f16le()
        case .int64: dc_h5t_native_int64()
        case .float64: dc_h5t_native_double()
        }
    }

    /// Reads any-rank data converted to `T` (with HDF5's conversion), optionally only a
    /// hyperslab `start`/`count`.
    ///
    /// - Parameters:
    ///   - name: The dataset.
    ///   - type: The element type in memory; it must match `T`'s layout.
    ///   - start: The hyperslab's first index per axis (with `count`), or nil for all.
    ///   - count: The hyperslab's extent per axis.
    /// - Returns: The dims read and the values in C order.
    /// - Throws: `IOError(.unsupportedType)` for a dtype densecell cannot read or a value `type`
    ///   cannot hold (named in the message: nothing is saturated), `.corrupt` when the read fails.
    public func readArray<T: Numeric>(_ name: String, as type: ScalarType, of: T.Type,
                                      start: [Int]? = nil, count: [Int]? = nil) throws(IOError) -> (dims: [Int], data: [T]) {
        let info = try self.info(name)
        guard info.scalarType != nil else {
            throw IOError(.unsupportedType, file: path, dataset: info.name, "unsupported dtype \(info.typeName)")
        }
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let d = try openDataset(name); defer { H5Dclose(d) }
        let dims = count ?? info.dims
        return (dims, try readChecked(d, info, as: type, of: T.self, start: start, count: count))
    }

    /// `H5Dread` of the hyperslab `start`/`count` (nil: everything) of an open dataset into a new
    /// array, refusing values `type` cannot hold. The caller holds `hdf5Lock`.
    func readChecked<T: Numeric>(_ d: hid_t, _ info: DatasetInfo, as type: ScalarType, of: T.Type,
                                 start: [Int]?, count: [Int]?) throws(IOError) -> [T] {
        let fileSpace = H5Dget_space(d); defer { H5Sclose(fileSpace) }
        var dims = info.dims
        if let start, let count {
            precondition(start.count == dims.count && count.count == dims.count)
            let s = start.map { hsize_t($0) }, c = count.map { hsize_t($0) }
            H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, s, nil, c, nil)
            dims = count
        }
        let n = dims.reduce(1, *)
        var out = [T](repeating: 0, count: n)
        guard n > 0 else { return out }
        let mdims = dims.map { hsize_t($0) }
        let memSpace = dims.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), mdims, nil)
        defer { H5Sclose(memSpace) }
        var refused = [CChar](repeating: 0, count: 64)
        let status = out.withUnsafeMutableBytes { buf in
            dc_h5_read_checked(d, Self.memoryType(type), memSpace, fileSpace, buf.baseAddress, &refused, refused.count)
        }
        if refused[0] != 0 {
            throw IOError(.unsupportedType, file: path, dataset: info.name,
                          "value \(String(cString: refused)) (\(info.typeName)) does not fit in \(type.rawValue)")
        }
        if status < 0 {
            // A filter HDF5 cannot load is not corruption: name it, and where it comes from.
            if let missing = HDF5Filters.missing(info.filterIDs) {
                throw IOError(.unsupportedType, file: path, dataset: info.name, missing)
            }
            throw IOError(.corrupt, file: path, dataset: info.name, "read failed: truncated or corrupt data")
        }
        return out
    }

    /// Writes an array of any rank as a new dataset (replacing one of that name), creating the
    /// groups on its path.
    ///
    /// - Parameters:
    ///   - dims: The extent of every axis; their product is `data.count`.
    ///   - memoryType: The element type of `data`.
    ///   - fileType: The stored element type (e.g. float16 for probabilities); `memoryType` when nil.
    ///   - chunks: The chunk shape (clipped to `dims`), or nil for contiguous storage.
    ///   - gzip: The deflate level (with shuffle) of chunked data; 0 for none.
    /// - Throws: `IOError(.writeFailed)` when HDF5 cannot create or write it.
    public func writeArray<T>(_ name: String, dims: [Int], data: [T], memoryType: ScalarType,
                              fileType: ScalarType? = nil, chunks: [Int]? = nil, gzip: Int = 1) throws(IOError) {
        precondition(dims.reduce(1, *) == data.count)
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let n = Self.normalize(name)
        if H5Lexists(id, n, dc_h5p_default()) > 0 { H5Ldelete(id, n, dc_h5p_default()) }
        try makeParents(of: n)
        let hd = dims.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(dims.count), hd, nil); defer { H5Sclose(space) }
        let dcpl = H5Pcreate(dc_h5p_dataset_create()); defer { H5Pclose(dcpl) }
        if let chunks, !dims.contains(0) {
            let c = zip(chunks, dims).map { hsize_t(max(1, min($0, $1))) }
            H5Pset_chunk(dcpl, Int32(c.count), c)
            if gzip > 0 { H5Pset_shuffle(dcpl); H5Pset_deflate(dcpl, UInt32(gzip)) }
        }
        let ftype = fileType ?? memoryType
        let fileT: hid_t
        switch ftype {
        case .uint8: fileT = H5Tcopy(dc_h5t_native_uint8())
        case .uint16: fileT = H5Tcopy(dc_h5t_native_uint16())
        case .int32: fileT = H5Tcopy(dc_h5t_native_int32())
        case .float32: fileT = H5Tcopy(dc_h5t_native_float())
        case .float16: fileT = H5Tcopy(dc_h5t_ieee_f16le())
        case .int64: fileT = H5Tcopy(dc_h5t_native_int64())
        case .float64: fileT = H5Tcopy(dc_h5t_native_double())
        }
        defer { H5Tclose(fileT) }
        let d = H5Dcreate2(id, n, fileT, space, dc_h5p_default(), dcpl, dc_h5p_default())
        if d < 0 { throw IOError(.writeFailed, file: path, dataset: n, "cannot create dataset") }
        defer { H5Dclose(d) }
        let status: herr_t
        if memoryType == .float32, ftype == .float16, let floats = data as? [Float] {
            let halves = Self.halfBits(floats)   // see halfBits: not HDF5's conversion
            status = halves.withUnsafeBytes { buf in
                H5Dwrite(d, dc_h5t_ieee_f16le(), dc_h5s_all(), dc_h5s_all(), dc_h5p_default(), buf.baseAddress)
            }
        } else {
            status = data.withUnsafeBytes { buf in
                H5Dwrite(d, Self.memoryType(memoryType), dc_h5s_all(), dc_h5s_all(), dc_h5p_default(), buf.baseAddress)
            }
        }
        if status < 0 { throw IOError(.writeFailed, file: path, dataset: n, "write failed") }
    }

    /// Creates an all-zero chunked dataset (replacing one of that name) to be filled slab by slab
    /// with `writeSlab`.
    ///
    /// - Parameters:
    ///   - dims: The extent of every axis.
    ///   - fileType: The stored element type.
    ///   - chunks: The chunk shape, clipped to `dims`.
    ///   - gzip: The deflate level (with shuffle); 0 for none.
    /// - Throws: `IOError(.writeFailed)` when HDF5 cannot create it.
    public func createDataset(_ name: String, dims: [Int], fileType: ScalarType, chunks: [Int], gzip: Int = 1) throws(IOError) {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let n = Self.normalize(name)
        if H5Lexists(id, n, dc_h5p_default()) > 0 { H5Ldelete(id, n, dc_h5p_default()) }
        try makeParents(of: n)
        let space = H5Screate_simple(Int32(dims.count), dims.map { hsize_t($0) }, nil); defer { H5Sclose(space) }
        let dcpl = H5Pcreate(dc_h5p_dataset_create()); defer { H5Pclose(dcpl) }
        let c = zip(chunks, dims).map { hsize_t(max(1, min($0, $1))) }
        H5Pset_chunk(dcpl, Int32(c.count), c)
        if gzip > 0 { H5Pset_shuffle(dcpl); H5Pset_deflate(dcpl, UInt32(gzip)) }
        let d = H5Dcreate2(id, n, Self.memoryType(fileType), space, dc_h5p_default(), dcpl, dc_h5p_default())
        if d < 0 { throw IOError(.writeFailed, file: path, dataset: n, "cannot create dataset") }
        H5Dclose(d)
    }

    /// Writes `data` (C order, `memoryType` elements) into the hyperslab `start`/`count` of an
    /// existing dataset.
    ///
    /// - Throws: `IOError(.missingDataset)` when there is no such dataset, `.writeFailed` when HDF5 fails.
    public func writeSlab<T>(_ name: String, start: [Int], count: [Int], data: [T], memoryType: ScalarType) throws(IOError) {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let d = try openDataset(name); defer { H5Dclose(d) }
        let fileSpace = H5Dget_space(d); defer { H5Sclose(fileSpace) }
        H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, start.map { hsize_t($0) }, nil, count.map { hsize_t($0) }, nil)
        let memSpace = H5Screate_simple(Int32(count.count), count.map { hsize_t($0) }, nil); defer { H5Sclose(memSpace) }
        let status: herr_t
        if memoryType == .float32, let floats = data as? [Float], Self.isHalf(dataset: d) {
            let halves = Self.halfBits(floats)
            status = halves.withUnsafeBytes { buf in
                H5Dwrite(d, dc_h5t_ieee_f16le(), memSpace, fileSpace, dc_h5p_default(), buf.baseAddress)
            }
        } else {
            status = data.withUnsafeBytes { buf in
                H5Dwrite(d, Self.memoryType(memoryType), memSpace, fileSpace, dc_h5p_default(), buf.baseAddress)
            }
        }
        if status < 0 { throw IOError(.writeFailed, file: path, dataset: Self.normalize(name), "write failed") }
    }

    /// Whether a dataset stores IEEE half floats.
    static func isHalf(dataset d: hid_t) -> Bool {
        let t = H5Dget_type(d); defer { H5Tclose(t) }
        return H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 2
    }

    /// float32 → float16 bit patterns, rounded to nearest even. HDF5 1.10's own float-to-half
    /// conversion is not used: after a value that becomes subnormal it mis-rounds the next value
    /// whose rounding carries into the exponent (0.9998 is stored as 0.5).
    static func halfBits(_ values: [Float]) -> [UInt16] {
        [UInt16](unsafeUninitializedCapacity: values.count) { out, n in
            values.withUnsafeBufferPointer { v in
                for i in 0..<v.count { out[i] = Float16(v[i]).bitPattern }
            }
            n = values.count
        }
    }

    // MARK: Attributes

    /// Sets (or replaces) attribute `name` of a dataset or group (`/` for the file).
    ///
    /// - Throws: `IOError(.missingDataset)` when there is no such object, `.writeFailed` when HDF5 fails.
    public func setAttribute(_ object: String, _ name: String, _ value: AttributeValue) throws(IOError) {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let o = H5Oopen(id, Self.normalize(object), dc_h5p_default())
        if o < 0 { throw IOError(.missingDataset, file: path, dataset: object, "no such object for attribute \(name)") }
        defer { H5Oclose(o) }
        if H5Aexists(o, name) > 0 { H5Adelete(o, name) }
        func write(type: hid_t, count: Int, _ body: (hid_t) -> herr_t) throws(IOError) {
            let space = count == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, [hsize_t(count)], nil)
            defer { H5Sclose(space) }
            let a = H5Acreate2(o, name, type, space, dc_h5p_default(), dc_h5p_default())
            if a < 0 { throw IOError(.writeFailed, file: path, dataset: object, "cannot write attribute \(name)") }
            defer { H5Aclose(a) }
            if body(a) < 0 { throw IOError(.writeFailed, file: path, dataset: object, "cannot write attribute \(name)") }
        }
        switch value {
        case .string(let s):
            let t = H5Tcopy(dc_h5t_c_s1()); defer { H5Tclose(t) }
            H5Tset_size(t, dc_h5t_variable()); H5Tset_cset(t, H5T_CSET_UTF8)
            let cstring = strdup(s); defer { free(cstring) }
            var ptr: UnsafePointer<CChar>? = UnsafePointer(cstring)
            try write(type: t, count: 1) { a in H5Awrite(a, t, &ptr) }
        case .strings(let list):
            let t = H5Tcopy(dc_h5t_c_s1()); defer { H5Tclose(t) }
            H5Tset_size(t, dc_h5t_variable()); H5Tset_cset(t, H5T_CSET_UTF8)
            let cstrings = list.map { strdup($0) }
            defer { cstrings.forEach { free($0) } }
            var ptrs: [UnsafePointer<CChar>?] = cstrings.map { UnsafePointer($0) }
            let space = H5Screate_simple(1, [hsize_t(list.count)], nil); defer { H5Sclose(space) }
            let a = H5Acreate2(o, name, t, space, dc_h5p_default(), dc_h5p_default())
            if a < 0 { throw IOError(.writeFailed, file: path, dataset: object, "cannot write attribute \(name)") }
            defer { H5Aclose(a) }
            H5Awrite(a, t, &ptrs)
        case .ints(let v):
            var data = v.map { Int64($0) }
            let space = H5Screate_simple(1, [hsize_t(v.count)], nil); defer { H5Sclose(space) }
            let a = H5Acreate2(o, name, dc_h5t_native_int64(), space, dc_h5p_default(), dc_h5p_default())
            if a < 0 { throw IOError(.writeFailed, file: path, dataset: object, "cannot write attribute \(name)") }
            defer { H5Aclose(a) }
            H5Awrite(a, dc_h5t_native_int64(), &data)
        case .doubles(let v):
            var data = v
            let space = H5Screate_simple(1, [hsize_t(v.count)], nil); defer { H5Sclose(space) }
            let a = H5Acreate2(o, name, dc_h5t_native_double(), space, dc_h5p_default(), dc_h5p_default())
            if a < 0 { throw IOError(.writeFailed, file: path, dataset: object, "cannot write attribute \(name)") }
            defer { H5Aclose(a) }
            H5Awrite(a, dc_h5t_native_double(), &data)
        }
    }

    /// Names of the attributes of `object`, in name order.
    func attributeNames(_ object: String) -> [String] {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let o = H5Oopen(id, Self.normalize(object), dc_h5p_default())
        guard o >= 0 else { return [] }
        defer { H5Oclose(o) }
        final class Names { var list: [String] = [] }
        let names = Names()
        var idx: hsize_t = 0
        H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, { _, name, _, data in
            Unmanaged<Names>.fromOpaque(data!).takeUnretainedValue().list.append(String(cString: name!))
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        return names.list
    }

    /// Reads an attribute written by densecell or by h5py (strings fixed or variable, numbers of
    /// any width); nil when there is no such object or attribute or its type is not one of these.
    public func attribute(_ object: String, _ name: String) -> AttributeValue? {
        hdf5Lock.lock(); defer { hdf5Lock.unlock() }
        let o = H5Oopen(id, Self.normalize(object), dc_h5p_default())
        guard o >= 0 else { return nil }
        defer { H5Oclose(o) }
        guard H5Aexists(o, name) > 0 else { return nil }
        let a = H5Aopen(o, name, dc_h5p_default()); guard a >= 0 else { return nil }
        defer { H5Aclose(a) }
        let t = H5Aget_type(a); defer { H5Tclose(t) }
        let space = H5Aget_space(a); defer { H5Sclose(space) }
        let n = max(1, Int(H5Sget_simple_extent_npoints(space)))
        switch H5Tget_class(t) {
        case H5T_INTEGER, H5T_ENUM:
            var v = [Int64](repeating: 0, count: n)
            guard H5Aread(a, dc_h5t_native_int64(), &v) >= 0 else { return nil }
            return .ints(v.map { Int($0) })
        case H5T_FLOAT:
            var v = [Double](repeating: 0, count: n)
            guard H5Aread(a, dc_h5t_native_double(), &v) >= 0 else { return nil }
            return .doubles(v)
        case H5T_STRING:
            var strings: [String] = []
            if H5Tis_variable_str(t) > 0 {
                var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
                let mt = H5Tcopy(dc_h5t_c_s1()); defer { H5Tclose(mt) }
                H5Tset_size(mt, dc_h5t_variable()); H5Tset_cset(mt, H5Tget_cset(t))
                guard H5Aread(a, mt, &ptrs) >= 0 else { return nil }
                strings = ptrs.map { $0.map { String(cString: $0) } ?? "" }
                H5Dvlen_reclaim(mt, space, dc_h5p_default(), &ptrs)
            } else {
                let size = H5Tget_size(t)
                var buf = [CChar](repeating: 0, count: size * n + 1)
                guard H5Aread(a, t, &buf) >= 0 else { return nil }
                for i in 0..<n {
                    let bytes = buf[(i * size)..<((i + 1) * size)].prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
                    strings.append(String(decoding: bytes, as: UTF8.self))
                }
            }
            return H5Sget_simple_extent_type(space) == H5S_SCALAR ? .string(strings[0]) : .strings(strings)
        default:
            return nil
        }
    }
}
