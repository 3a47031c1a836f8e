import CHDF5
import DenseCellCore
import Foundation

/// A volume on disk, opened rather than loaded: its shape, stored type and storage are known at
/// once, and boxes of voxels are read on demand (see docs/ARCHITECTURE.md, "Volumes and files").
/// Readers for HDF5 datasets (hyperslabs through a sized chunk cache), multipage TIFF (pages) and
/// PNG directories (files) implement it; tests wrap it to count reads.
public protocol VolumeSource: AnyObject {
    /// The reference it was opened from; errors name its path.
    var reference: VolumeReference { get }
    /// The (z, y, x) shape it reads as.
    var shape: Shape3 { get }
    /// The stored element type's name (`uint8`, `float16`, `int64`, …).
    var typeName: String { get }
    /// Bytes per voxel of what `read` returns for this source (after widening or narrowing).
    var readBytesPerVoxel: Int { get }
    /// How it is stored, for `info`: `chunks 1×256×256, shuffle, gzip 1`, `contiguous`,
    /// `multipage TIFF`, `PNG slices`.
    var storage: String { get }
    /// The z-extent of one storage unit (HDF5 chunk depth; 1 for pages and files); streaming
    /// slabs are made a multiple of it where they can be.
    var zGrain: Int { get }
    /// Reads the voxels of `box` (inside `Box3(shape:)`).
    ///
    /// - Throws: `IOError` naming the file when it cannot be read.
    func read(_ box: Box3) throws(IOError) -> AnyVolume
    /// Reads the voxels of `box` as float. The default converts what `read` returns; HDF5
    /// converts itself and names a value beyond float's range.
    ///
    /// - Throws: `IOError` naming the file when it cannot be read or a value does not fit.
    func readFloat(_ box: Box3) throws(IOError) -> Volume<Float>
    /// Whether reads come from memory rather than disk (the viewer reads those on its key thread).
    var isInMemory: Bool { get }
    /// The volume at a coarser level of its file's own multiscale pyramid whose planes are
    /// `height`×`width` (y and x reduced, z kept), when the file keeps one (OME-Zarr, N5); nil otherwise.
    func storedLevel(height: Int, width: Int) -> VolumeSource?
    /// The y and x extent of the chunks a file stores it in, when they are independent blocks a
    /// pass may skip (Zarr, N5); nil otherwise.
    var chunkTile: (y: Int, x: Int)? { get }
    /// The (z, y, x) extent of the blocks it is stored and decoded in (HDF5, Zarr and N5 chunks);
    /// nil for contiguous data, pages and files. Planes across z read whole columns of them.
    var blockExtent: Shape3? { get }
    /// The value every voxel of `box` has because nothing under it was ever written (the fill
    /// value), found without reading voxels; nil when something was written, or the format cannot tell.
    func absentValue(_ box: Box3) throws(IOError) -> Double?
    /// Whether its labels are class indices already (computed by densecell: labels `StudyWriter`
    /// wrote, a live consensus, the viewer's ensemble), so the schema's listed values do not apply.
    var holdsClassIndices: Bool { get }
}

extension VolumeSource {
    public func readFloat(_ box: Box3) throws(IOError) -> Volume<Float> { try read(box).asFloat() }

    /// Only multiscale stores keep levels of their own.
    public func storedLevel(height: Int, width: Int) -> VolumeSource? { nil }
    /// Only chunked stores (Zarr, N5) skip absent chunks.
    public var chunkTile: (y: Int, x: Int)? { nil }
    public var blockExtent: Shape3? { nil }
    public func absentValue(_ box: Box3) throws(IOError) -> Double? { nil }

    /// Files are on disk unless a reader says otherwise.
    public var isInMemory: Bool { false }

    /// Files hold labels as users store them.
    public var holdsClassIndices: Bool { false }

    /// The whole volume as a box.
    public var bounds: Box3 { Box3(shape: shape) }

    /// The z-slices `z` (all of y and x) as a box.
    public func slab(_ z: Range<Int>) -> Box3 { Box3(z: z, y: 0..<shape.y, x: 0..<shape.x) }

    /// The mapping this source's labels are read through: the schema's, or plain class indices for
    /// labels densecell computed (`holdsClassIndices`).
    public func labelMapping(_ schemaMapping: LabelMapping) -> LabelMapping {
        holdsClassIndices ? LabelMapping(classCount: schemaMapping.classCount) : schemaMapping
    }

    /// Class labels inside `box`: stored values turned into classes by `mapping` (the schema's).
    ///
    /// - Throws: `IOError(.badLabels)` naming the source and the first value outside the schema, or
    ///   saying it holds instance ids (`LabelMapping.holdsInstanceIDs`).
    public func readLabels(_ box: Box3, mapping: LabelMapping) throws(IOError) -> Volume<UInt8> {
        let v = try read(box)
        do { return try v.asLabels(labelMapping(mapping)) } catch {
            throw IOError(.badLabels, file: reference.path, dataset: reference.dataset, error.description)
        }
    }

    /// A 0/1 mask inside `box` (nonzero voxels are inside).
    public func readMask(_ box: Box3) throws(IOError) -> Volume<UInt8> {
        switch try read(box) {
        case .uint8(let v): return v.map { $0 != 0 ? 1 : 0 }
        case .uint16(let v): return v.map { $0 != 0 ? 1 : 0 }
        case .int32(let v): return v.map { $0 != 0 ? 1 : 0 }
        case .float32(let v): return v.map { $0 != 0 ? 1 : 0 }
        case .int64(let v): return v.map { $0 != 0 ? 1 : 0 }
        case .float64(let v): return v.map { $0 != 0 ? 1 : 0 }
        }
    }

    /// Image intensities inside `box` as float, refusing NaN and infinity (an image holding them
    /// cannot be normalized, shown or segmented).
    ///
    /// - Throws: `IOError(.badValues)` naming the source and the first such voxel (z, y, x).
    public func readImage(_ box: Box3) throws(IOError) -> Volume<Float> {
        let v = try readFloat(box)
        if let i = v.data.firstIndex(where: { !$0.isFinite }) {
            let s = box.shape
            let z = box.z.lowerBound + i / s.planeCount, y = box.y.lowerBound + (i / s.x) % s.y, x = box.x.lowerBound + i % s.x
            throw IOError(.badValues, file: reference.path, dataset: reference.dataset,
                          "the image holds \(v.data[i].isNaN ? "NaN" : "infinity") at (z \(z), y \(y), x \(x)); "
                          + "images must be finite numbers")
        }
        return v
    }
}

extension VolumeReader {
    /// Opens a volume reference for reading on demand: shape, type and storage at once, voxels
    /// when asked. An HDF5 file must name its dataset.
    ///
    /// - Throws: `IOError` naming the file (and dataset) when it is missing, corrupt, empty, not
    ///   a 3-D volume, of an unsupported type, or an HDF5 file without a dataset named.
    public static func open(_ ref: VolumeReference) throws(IOError) -> VolumeSource {
        switch ref.kind {
        case .tiff: return try TIFFVolume(ref)
        case .pngDirectory: return try PNGVolume(ref)
        case .zarr: return try ChunkedStore.openVolume(ref, format: .zarr)
        case .n5: return try ChunkedStore.openVolume(ref, format: .n5)
        case .hdf5:
            let file = try HDF5File(path: ref.path)
            guard let dataset = ref.dataset else {
                let names = file.datasetNames()
                throw IOError(.badReference, file: ref.path,
                              "name a dataset as \(ref.path):/DATASET (this file has \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
            }
            return try HDF5Volume(file: file, dataset: dataset, reference: ref)
        }
    }

    /// Opens `dataset` of an already open HDF5 file.
    ///
    /// - Throws: `IOError` as `open(_:)`.
    public static func open(_ file: HDF5File, _ dataset: String) throws(IOError) -> VolumeSource {
        let name = HDF5File.normalize(dataset)
        return try HDF5Volume(file: file, dataset: name,
                              reference: VolumeReference(path: file.path, dataset: name, kind: .hdf5(dataset: name)))
    }
}

/// An HDF5 dataset read by hyperslabs; singleton axes squeezed as `VolumeReader.volumeShape` does.
final class HDF5Volume: VolumeSource {
    let reference: VolumeReference
    let shape: Shape3
    let dataset: HDF5Dataset
    let scalar: ScalarType
    /// For each stored axis, the volume axis (0 z, 1 y, 2 x) it holds, or nil for a squeezed singleton.
    let axisMap: [Int?]
    /// Whether whole planes are read as stored chunks (`boxFromChunks`).
    let planesFromChunksAllowed: Bool
    /// Labels densecell wrote (marked so in the file) are classes already.
    let holdsClassIndices: Bool

    init(file: HDF5File, dataset name: String, reference: VolumeReference) throws(IOError) {
        self.reference = reference
        let info = try file.info(name)
        let dimsText = info.dims.map(String.init).joined(separator: "×")
        guard let scalar = info.scalarType else {
            throw IOError(.unsupportedType, file: file.path, dataset: info.name, "unsupported dtype \(info.typeName)")
        }
        if info.dims.contains(0) {
            throw IOError(.badShape, file: file.path, dataset: info.name, "empty dataset (shape \(dimsText))")
        }
        guard let shape = VolumeReader.volumeShape(dims: info.dims) else {
            throw IOError(.badShape, file: file.path, dataset: info.name, "shape \(dimsText) is not a 3-D volume after squeezing")
        }
        // A header may claim any extent; a voxel count beyond 2^63 cannot even be counted.
        guard !shape.y.multipliedReportingOverflow(by: shape.x).overflow,
              !(shape.y * shape.x).multipliedReportingOverflow(by: shape.z).overflow else {
            throw IOError(.tooLarge, file: file.path, dataset: info.name, "shape \(dimsText) has more voxels than can be counted")
        }
        self.shape = shape
        self.scalar = scalar
        axisMap = VolumeReader.axisMap(dims: info.dims)
        dataset = try HDF5Dataset(file: file, name: info.name)
        planesFromChunksAllowed = Self.planesFromChunksAllowed(info, scalar: scalar, axisMap: axisMap)
        holdsClassIndices = StudyFile.holdsClassIndices(file, info.name)
    }

    var typeName: String { dataset.info.typeName }
    var readBytesPerVoxel: Int { scalar == .float16 ? 4 : scalar.byteSize }
    var storage: String { dataset.info.storage }
    var zGrain: Int {
        guard let chunks = dataset.info.chunks, let zAxis = axisMap.firstIndex(of: 0) else { return 1 }
        return max(1, chunks[zAxis])
    }
    var blockExtent: Shape3? {
        guard let chunks = dataset.info.chunks else { return nil }
        let e: [Int] = (0..<3).map { axis -> Int in
            guard let d = axisMap.firstIndex(where: { $0 == axis }) else { return 1 }
            return max(1, chunks[d])
        }
        return Shape3(e[0], e[1], e[2])
    }

    /// The stored hyperslab of `box`.
    func hyperslab(_ box: Box3) -> (start: [Int], count: [Int]) {
        precondition(bounds.contains(box), "box \(box) outside volume \(shape)")
        let lower = [box.z.lowerBound, box.y.lowerBound, box.x.lowerBound], extent = [box.z.count, box.y.count, box.x.count]
        return (axisMap.map { $0.map { lower[$0] } ?? 0 }, axisMap.map { $0.map { extent[$0] } ?? 1 })
    }

    /// Whether boxes may be read by `boxFromChunks`: uint8, stored 3-D, chunked and only
    /// deflated (shuffle changes nothing for one-byte elements).
    static func planesFromChunksAllowed(_ info: DatasetInfo, scalar: ScalarType, axisMap: [Int?]) -> Bool {
        guard scalar == .uint8, axisMap == [0, 1, 2], let chunks = info.chunks, chunks.count == 3 else { return false }
        return info.filters.last?.hasPrefix("gzip") == true && info.filters.dropLast().allSatisfy { $0 == "shuffle" }
    }

    /// A box of a deflated uint8 dataset, read as its stored chunks and inflated on all cores,
    /// each chunk only as far as the last byte wanted from it: HDF5 would inflate every chunk
    /// whole, one after another, under its lock (so a new slice of a 2000×2000 study with 4-deep
    /// chunks, or an xz plane crossing a column of chunks, costs several times less, and other
    /// threads wait on the lock only for the raw reads). Nil when any chunk is missing or
    /// unusual; the caller then reads through HDF5.
    func boxFromChunks(_ box: Box3) -> [UInt8]? {
        guard planesFromChunksAllowed, let chunks = dataset.info.chunks, box.shape.count > 0 else { return nil }
        let (cz, cy, cx) = (chunks[0], chunks[1], chunks[2])
        let slice = cy * cx
        // Per chunk: its origin and the part of the box inside it.
        var pieces: [(z0: Int, y0: Int, x0: Int, z: Range<Int>, y: Range<Int>, x: Range<Int>)] = []
        for z0 in stride(from: box.z.lowerBound / cz * cz, to: box.z.upperBound, by: cz) {
            for y0 in stride(from: box.y.lowerBound / cy * cy, to: box.y.upperBound, by: cy) {
                for x0 in stride(from: box.x.lowerBound / cx * cx, to: box.x.upperBound, by: cx) {
                    pieces.append((z0, y0, x0, max(box.z.lowerBound, z0)..<min(box.z.upperBound, z0 + cz),
                                   max(box.y.lowerBound, y0)..<min(box.y.upperBound, y0 + cy),
                                   max(box.x.lowerBound, x0)..<min(box.x.upperBound, x0 + cx)))
                }
            }
        }
        var stored: [[UInt8]] = []
        stored.reserveCapacity(pieces.count)
        hdf5Lock.lock()
        for p in pieces {
            let offset: [hsize_t] = [hsize_t(p.z0), hsize_t(p.y0), hsize_t(p.x0)]
            let bytes = dc_h5_chunk_bytes(dataset.id, offset)
            guard bytes > 0 else { hdf5Lock.unlock(); return nil }
            var buffer = [UInt8](repeating: 0, count: Int(bytes))
            var skipped: UInt32 = 0
            guard dc_h5_read_chunk(dataset.id, offset, &skipped, &buffer) == 0, skipped == 0 else { hdf5Lock.unlock(); return nil }
            stored.append(buffer)
        }
        hdf5Lock.unlock()
        let out = box.shape
        var result = [UInt8](repeating: 0, count: out.count)
        let failures = NSLock()
        var failed = false
        result.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.forEach(pieces.count) { i in
                let p = pieces[i]
                // Inflate up to the end of the last row wanted (chunks are stored z, y, x).
                let front = ((p.z.upperBound - 1 - p.z0) * cy + (p.y.upperBound - p.y0)) * cx
                var chunk = [UInt8](repeating: 0, count: front)
                let produced = stored[i].withUnsafeBytes { src in
                    chunk.withUnsafeMutableBytes { dst in dc_inflate_front(src.baseAddress, src.count, dst.baseAddress, dst.count) }
                }
                guard produced == Int64(front) else { failures.lock(); failed = true; failures.unlock(); return }
                chunk.withUnsafeBufferPointer { f in
                    for z in p.z { for y in p.y {
                        let from = f.baseAddress! + (z - p.z0) * slice + (y - p.y0) * cx + (p.x.lowerBound - p.x0)
                        let to = base + ((z - box.z.lowerBound) * out.y + (y - box.y.lowerBound)) * out.x + (p.x.lowerBound - box.x.lowerBound)
                        to.update(from: from, count: p.x.count)
                    } }
                }
            }
        }
        return failed ? nil : result
    }

    /// `box` converted to float by HDF5, which refuses values beyond float's range (naming one).
    func readFloat(_ box: Box3) throws(IOError) -> Volume<Float> {
        let (start, count) = hyperslab(box)
        return Volume(shape: box.shape, data: try dataset.read(start: start, count: count, as: .float32, of: Float.self))
    }

    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        if let voxels = boxFromChunks(box) { return .uint8(Volume(shape: box.shape, data: voxels)) }
        let (start, count) = hyperslab(box)
        let s = box.shape
        switch scalar {
        case .uint8: return .uint8(Volume(shape: s, data: try dataset.read(start: start, count: count, as: .uint8, of: UInt8.self)))
        case .uint16: return .uint16(Volume(shape: s, data: try dataset.read(start: start, count: count, as: .uint16, of: UInt16.self)))
        case .int32: return .int32(Volume(shape: s, data: try dataset.read(start: start, count: count, as: .int32, of: Int32.self)))
        case .float32, .float16:
            return .float32(Volume(shape: s, data: try dataset.read(start: start, count: count, as: .float32, of: Float.self)))
        case .int64:
            // Wide integers are read exactly; int32 holds them when every value fits (half the memory).
            let data = try dataset.read(start: start, count: count, as: .int64, of: Int64.self)
            if data.allSatisfy({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }) {
                return .int32(Volume(shape: s, data: data.map { Int32($0) }))
            }
            return .int64(Volume(shape: s, data: data))
        case .float64:
            // Doubles are read exactly; float32 holds them when every value survives the round trip.
            let data = try dataset.read(start: start, count: count, as: .float64, of: Double.self)
            if data.allSatisfy({ Double(Float($0)) == $0 || $0.isNaN }) {
                return .float32(Volume(shape: s, data: data.map { Float($0) }))
            }
            return .float64(Volume(shape: s, data: data))
        }
    }
}
