import DenseCellCore
import Foundation

/// How array elements are laid out in a chunk's bytes: kind, size and byte order (numpy's
/// `<u2`, `|u1`, `>f4`; Zarr v3's and N5's `uint16`, `float32`).
struct ElementEncoding: Sendable, Equatable {
    enum Kind: Sendable { case unsigned, signed, float }
    let kind: Kind
    let size: Int
    let bigEndian: Bool

    /// A numpy dtype string: `|u1`, `<u2`, `>f4`, `<i8`, … (bytes and strings are not volumes).
    init?(numpy text: String) {
        guard text.count >= 3, let size = Int(text.dropFirst(2)) else { return nil }
        let order = text.first!, code = text.dropFirst().first!
        switch code {
        case "u": kind = .unsigned
        case "i": kind = .signed
        case "f": kind = .float
        case "b" where size == 1: kind = .unsigned   // bool as 0/1
        default: return nil
        }
        guard [1, 2, 4, 8].contains(size), kind != .float || size >= 2 else { return nil }
        self.size = size
        bigEndian = order == ">"
    }

    /// A type name: `uint8`, `int16`, `float32`, `bool` …, stored with the given byte order.
    init?(name: String, bigEndian: Bool) {
        let table: [String: (Kind, Int)] = ["bool": (.unsigned, 1), "uint8": (.unsigned, 1), "uint16": (.unsigned, 2),
                                            "uint32": (.unsigned, 4), "uint64": (.unsigned, 8), "int8": (.signed, 1),
                                            "int16": (.signed, 2), "int32": (.signed, 4), "int64": (.signed, 8),
                                            "float16": (.float, 2), "float32": (.float, 4), "float64": (.float, 8)]
        guard let (kind, size) = table[name] else { return nil }
        self.kind = kind; self.size = size; self.bigEndian = bigEndian && size > 1
    }

    /// `uint16`, `float32`, … (what `info` shows).
    var typeName: String {
        switch kind {
        case .unsigned: "uint\(size * 8)"
        case .signed: "int\(size * 8)"
        case .float: "float\(size * 8)"
        }
    }

    /// The type voxels are read as, as for HDF5: narrow integers widen to int32, wide ones to
    /// int64, half floats to float32.
    var readType: ScalarType {
        switch (kind, size) {
        case (.unsigned, 1): .uint8
        case (.unsigned, 2): .uint16
        case (.signed, 1), (.signed, 2), (.signed, 4): .int32
        case (.unsigned, _), (.signed, _): .int64
        case (.float, 8): .float64
        case (.float, _): .float32
        }
    }

    /// The element at `p` as a double (byte order applied).
    @inline(__always) func double(_ p: UnsafeRawPointer) -> Double {
        switch (kind, size) {
        case (.unsigned, 1): return Double(p.load(as: UInt8.self))
        case (.signed, 1): return Double(p.load(as: Int8.self))
        case (.unsigned, 2): let v = p.loadUnaligned(as: UInt16.self); return Double(bigEndian ? v.byteSwapped : v)
        case (.signed, 2): let v = p.loadUnaligned(as: Int16.self); return Double(bigEndian ? v.byteSwapped : v)
        case (.unsigned, 4): let v = p.loadUnaligned(as: UInt32.self); return Double(bigEndian ? v.byteSwapped : v)
        case (.signed, 4): let v = p.loadUnaligned(as: Int32.self); return Double(bigEndian ? v.byteSwapped : v)
        case (.float, 2):
            let v = p.loadUnaligned(as: UInt16.self)
            return Double(Float(Float16(bitPattern: bigEndian ? v.byteSwapped : v)))
        case (.float, 4): let v = p.loadUnaligned(as: UInt32.self); return Double(Float(bitPattern: bigEndian ? v.byteSwapped : v))
        case (.float, _): let v = p.loadUnaligned(as: UInt64.self); return Double(bitPattern: bigEndian ? v.byteSwapped : v)
        default: return Double(integer(p))
        }
    }

    /// A wide integer element at `p` (uint64 above 2^63 − 1 wraps; callers check `fitsInt64`).
    @inline(__always) func integer(_ p: UnsafeRawPointer) -> Int64 {
        switch (kind, size) {
        case (.unsigned, 8): let v = p.loadUnaligned(as: UInt64.self); return Int64(bitPattern: bigEndian ? v.byteSwapped : v)
        case (.signed, 8): let v = p.loadUnaligned(as: Int64.self); return bigEndian ? v.byteSwapped : v
        default: return Int64(double(p))
        }
    }

    /// Whether the stored bytes are the read type's own bytes (so rows copy as they are).
    var isNativeReadType: Bool {
        guard !bigEndian || size == 1 else { return false }
        switch (kind, size) {
        case (.unsigned, 1), (.unsigned, 2), (.signed, 4), (.float, 4), (.signed, 8), (.float, 8): return true
        default: return false
        }
    }
}

/// One chunk after its codecs were undone: its elements and where each array axis steps.
struct DecodedChunk: Sendable {
    /// The elements, in the chunk's stored order and the array's encoding.
    var bytes: [UInt8]
    /// How many elements the chunk holds along each array axis (less than the chunk shape for a
    /// truncated N5 edge block).
    var extent: [Int]
    /// Elements between neighbours along each array axis.
    var strides: [Int]

    /// A chunk stored in C order of `extent` (`axisOrder`: the array axes from slowest to
    /// fastest in storage; nil for the array's own order).
    init(bytes: [UInt8], extent: [Int], axisOrder: [Int]? = nil) {
        self.bytes = bytes; self.extent = extent
        let order = axisOrder ?? Array(extent.indices)
        var strides = [Int](repeating: 0, count: extent.count)
        var step = 1
        for axis in order.reversed() { strides[axis] = step; step *= extent[axis] }
        self.strides = strides
    }
}

/// Where the chunks of an N-dimensional array come from: the key of each chunk and its decoding
/// (Zarr v2, Zarr v3 with or without sharding, N5).
protocol ChunkSource: Sendable {
    /// The array's extent per axis, slowest first.
    var arrayShape: [Int] { get }
    /// The grid's chunk extent per axis (inner chunks of a sharded array).
    var chunkShape: [Int] { get }
    /// How elements are stored.
    var encoding: ElementEncoding { get }
    /// The value of every element of a chunk that was never written.
    var fillValue: Double { get }
    /// The chunk at grid position `index`, decoded; nil when it was never written.
    ///
    /// - Throws: `IOError` naming the chunk's key when it cannot be read or decoded.
    func chunk(_ index: [Int]) throws(IOError) -> DecodedChunk?
    /// Whether the chunk at `index` exists, without reading it (for counting absent chunks).
    func hasChunk(_ index: [Int]) throws(IOError) -> Bool
    /// `zarr v3, chunks 1×256×256 in shards 4×1024×1024, zstd` — for `info`.
    var storage: String { get }
    /// Whether any chunk of the grid block `grid` (a range of positions per axis) was written.
    func anyChunk(in grid: [ClosedRange<Int>]) throws(IOError) -> Bool
}

extension ChunkSource {
    func anyChunk(in grid: [ClosedRange<Int>]) throws(IOError) -> Bool {
        try GridBlock(grid).contains { (index: [Int]) throws(IOError) in try hasChunk(index) }
    }
}

/// A block of grid positions, one range per axis, visited in C order (the last axis fastest).
struct GridBlock {
    let ranges: [ClosedRange<Int>]
    init(_ ranges: [ClosedRange<Int>]) { self.ranges = ranges }

    /// Whether `test` holds for some position (visiting stops at the first).
    func contains(where test: ([Int]) throws(IOError) -> Bool) throws(IOError) -> Bool {
        guard !ranges.isEmpty else { return try test([]) }
        var index = ranges.map(\.lowerBound)
        while true {
            if try test(index) { return true }
            var a = index.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] <= ranges[a].upperBound { break }
                index[a] = ranges[a].lowerBound
                a -= 1
            }
            if a < 0 { return false }
        }
    }
}

/// A chunked array (Zarr or N5) read as a (z, y, x) volume: a box is read as the chunks it
/// touches, fetched and decoded in parallel, each copied into place; chunks never written read as
/// the fill value without being materialised (see docs/ARCHITECTURE.md, "Chunked stores").
final class ChunkedVolume: VolumeSource, @unchecked Sendable {
    let reference: VolumeReference
    let shape: Shape3
    let source: ChunkSource
    /// For each array axis, the volume axis (0 z, 1 y, 2 x) it holds, or nil for a singleton.
    let axisMap: [Int?]
    /// Whether the store marks these labels as class indices (labels densecell wrote).
    var holdsClassIndices = false
    /// Opens the store's coarser levels of this volume (its multiscale's other datasets), if any.
    var levelOpeners: [() throws -> ChunkedVolume] = []
    private var openedLevels: [ChunkedVolume]? = nil
    /// Chunks read so far (tests count them).
    private(set) var chunksRead = 0
    private let counter = NSLock()

    /// - Parameter axisMap: which array axis is z, y and x (nil: squeeze singletons, as for HDF5).
    /// - Throws: `IOError(.badShape)` when the array is not a volume after squeezing.
    init(reference: VolumeReference, source: ChunkSource, axisMap: [Int?]? = nil) throws(IOError) {
        self.reference = reference; self.source = source
        let dims = source.arrayShape
        let map = axisMap ?? VolumeReader.axisMap(dims: dims)
        guard dims.allSatisfy({ $0 > 0 }) else {
            throw IOError(.badShape, file: reference.path, dataset: reference.dataset,
                          "empty array (shape \(dims.map(String.init).joined(separator: "×")))")
        }
        var extent = [1, 1, 1]
        for (axis, target) in map.enumerated() {
            if let target { extent[target] = dims[axis] } else if dims[axis] != 1 {
                throw IOError(.badShape, file: reference.path, dataset: reference.dataset,
                              "shape \(dims.map(String.init).joined(separator: "×")) is not a 3-D volume after squeezing")
            }
        }
        guard map.compactMap({ $0 }).count == Set(map.compactMap { $0 }).count else {
            throw IOError(.badShape, file: reference.path, dataset: reference.dataset, "two array axes map to the same volume axis")
        }
        guard !extent[1].multipliedReportingOverflow(by: extent[2]).overflow,
              !(extent[1] * extent[2]).multipliedReportingOverflow(by: extent[0]).overflow else {
            throw IOError(.tooLarge, file: reference.path, dataset: reference.dataset, "shape has more voxels than can be counted")
        }
        self.axisMap = map
        shape = Shape3(extent[0], extent[1], extent[2])
    }

    func storedLevel(height: Int, width: Int) -> VolumeSource? {
        counter.lock()
        if openedLevels == nil {
            openedLevels = levelOpeners.compactMap { try? $0() }
            for level in openedLevels! { level.holdsClassIndices = holdsClassIndices }
        }
        let levels = openedLevels!
        counter.unlock()
        return levels.first { $0.shape == Shape3(shape.z, height, width) }
    }

    var chunkTile: (y: Int, x: Int)? {
        guard let yAxis = axisMap.firstIndex(of: 1), let xAxis = axisMap.firstIndex(of: 2) else { return nil }
        return (source.chunkShape[yAxis], source.chunkShape[xAxis])
    }

    func absentValue(_ box: Box3) throws(IOError) -> Double? {
        let grid = zip(axisRanges(box), source.chunkShape).map { r, c in (r.lowerBound / c)...((r.upperBound - 1) / c) }
        return try source.anyChunk(in: grid) ? nil : source.fillValue
    }

    var typeName: String { source.encoding.typeName }
    var readBytesPerVoxel: Int { source.encoding.readType.byteSize }
    var storage: String { source.storage }
    var zGrain: Int {
        guard let zAxis = axisMap.firstIndex(of: 0) else { return 1 }
        return source.chunkShape[zAxis]
    }
    var blockExtent: Shape3? {
        let e: [Int] = (0..<3).map { axis -> Int in
            guard let d = axisMap.firstIndex(where: { $0 == axis }) else { return 1 }
            return source.chunkShape[d]
        }
        return Shape3(e[0], e[1], e[2])
    }

    /// The grid positions of the chunks `box` touches, in storage order.
    func chunks(touching box: Box3) -> [[Int]] {
        let ranges = axisRanges(box)
        var result: [[Int]] = [[]]
        for (axis, r) in ranges.enumerated() {
            let c = source.chunkShape[axis]
            let first = r.lowerBound / c, last = (r.upperBound - 1) / c
            result = result.flatMap { prefix in (first...last).map { prefix + [$0] } }
        }
        return result
    }

    /// The box's range along each array axis (0..<1 on squeezed ones).
    func axisRanges(_ box: Box3) -> [Range<Int>] {
        axisMap.map { target in
            switch target { case 0: box.z; case 1: box.y; case 2: box.x; default: 0..<1 }
        }
    }

    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        precondition(bounds.contains(box), "box \(box) outside volume \(shape)")
        let e = source.encoding, fill = source.fillValue
        switch e.readType {
        case .uint8: return .uint8(try gather(box, fill: UInt8(clamping: Int64(fill))) { UInt8(e.double($0)) })
        case .uint16: return .uint16(try gather(box, fill: UInt16(clamping: Int64(fill))) { UInt16(e.double($0)) })
        case .int32: return .int32(try gather(box, fill: Int32(clamping: Int64(fill))) { Int32(e.double($0)) })
        case .float32, .float16: return .float32(try gather(box, fill: Float(fill)) { Float(e.double($0)) })
        case .int64:
            let v = try gather(box, fill: Int64(fill)) { e.integer($0) }
            if e.kind == .unsigned && e.size == 8, let i = v.data.firstIndex(where: { $0 < 0 }) {
                throw IOError(.unsupportedType, file: reference.path, dataset: reference.dataset,
                              "value \(UInt64(bitPattern: v.data[i])) (uint64) does not fit in int64")
            }
            // Wide integers are read exactly; int32 holds them when every value fits (half the memory).
            if v.data.allSatisfy({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }) { return .int32(v.map { Int32($0) }) }
            return .int64(v)
        case .float64:
            let v = try gather(box, fill: fill) { e.double($0) }
            if v.data.allSatisfy({ Double(Float($0)) == $0 || $0.isNaN }) { return .float32(v.map { Float($0) }) }
            return .float64(v)
        }
    }

    /// Reads `box` into a new volume of `T`: chunks in parallel, each copied row by row (rows
    /// whose bytes are already `T`'s are copied whole), absent chunks left at `fill`.
    private func gather<T>(_ box: Box3, fill: T, load: (UnsafeRawPointer) -> T) throws(IOError) -> Volume<T> {
        let ranges = axisRanges(box)
        let outStrides = axisMap.map { target -> Int in
            switch target { case 0: box.y.count * box.x.count; case 1: box.x.count; case 2: 1; default: 0 }
        }
        var out = [T](repeating: fill, count: box.shape.count)
        let list = chunks(touching: box)
        let encoding = source.encoding, chunkShape = source.chunkShape
        let native = encoding.isNativeReadType && MemoryLayout<T>.size == encoding.size
        let failure = NSLock()
        var firstError: IOError? = nil
        var fetched = 0
        let ndim = ranges.count
        // The fastest-varying output axis among the array's axes: rows are copied along it.
        let rowAxis = (0..<ndim).first { axisMap[$0] == 2 } ?? (0..<ndim).last!
        out.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            Parallel.forEach(list.count) { k in
                let index = list[k]
                let chunk: DecodedChunk?
                do throws(IOError) { chunk = try self.source.chunk(index) } catch {
                    failure.lock(); if firstError == nil { firstError = error }; failure.unlock(); return
                }
                guard let chunk else { return }
                failure.lock(); fetched += 1; failure.unlock()
                // The part of the box this chunk holds, per array axis (in array coordinates).
                var lo = [Int](repeating: 0, count: ndim), hi = lo
                for a in 0..<ndim {
                    let origin = index[a] * chunkShape[a]
                    lo[a] = max(ranges[a].lowerBound, origin)
                    hi[a] = min(ranges[a].upperBound, origin + min(chunkShape[a], chunk.extent[a]))
                    if lo[a] >= hi[a] { return }
                }
                let rowLength = hi[rowAxis] - lo[rowAxis]
                let srcRowStride = chunk.strides[rowAxis], dstRowStride = outStrides[rowAxis]
                chunk.bytes.withUnsafeBytes { raw in
                    let src = raw.baseAddress!
                    // Walk every axis but the row axis (odometer order).
                    var position = lo
                    while true {
                        var srcIndex = 0, dstIndex = 0
                        for a in 0..<ndim {
                            srcIndex += (position[a] - index[a] * chunkShape[a]) * chunk.strides[a]
                            dstIndex += (position[a] - ranges[a].lowerBound) * outStrides[a]
                        }
                        let from = src + srcIndex * encoding.size
                        let to = base + dstIndex
                        if native && srcRowStride == 1 && dstRowStride == 1 {
                            UnsafeMutableRawPointer(to).copyMemory(from: from, byteCount: rowLength * encoding.size)
                        } else {
                            for i in 0..<rowLength { to[i * dstRowStride] = load(from + i * srcRowStride * encoding.size) }
                        }
                        // Next position: advance the slowest-varying axes after the row axis is done.
                        var a = ndim - 1
                        while a >= 0 {
                            if a == rowAxis { a -= 1; continue }
                            position[a] += 1
                            if position[a] < hi[a] { break }
                            position[a] = lo[a]
                            a -= 1
                        }
                        if a < 0 { break }
                    }
                }
            }
        }
        if let firstError { throw firstError }
        counter.lock(); chunksRead += fetched; counter.unlock()
        return Volume(shape: box.shape, data: out)
    }
}
