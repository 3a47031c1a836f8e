/// A dense 3-D array in (z, y, x) order, stored contiguously (x fastest).
///
/// Value semantics through the backing array: copies are cheap until written. A z-plane is a
/// contiguous `ArraySlice` (no copy); sub-boxes are copied out with `extract(_:)`.
public struct Volume<T>: @unchecked Sendable {
    /// The extent; fixed, so `data` always holds `shape.count` elements.
    public private(set) var shape: Shape3
    /// The elements, x fastest, then y, then z.
    public var data: [T]

    /// A volume of `shape` with every voxel set to `value`.
    public init(shape: Shape3, repeating value: T) {
        self.shape = shape
        self.data = Array(repeating: value, count: shape.count)
    }

    /// A volume of `shape` over `data`, which must hold `shape.count` elements in (z, y, x) order.
    public init(shape: Shape3, data: [T]) {
        precondition(data.count == shape.count, "volume data does not match shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// The position of voxel (z, y, x) in `data`.
    @inlinable public func index(_ z: Int, _ y: Int, _ x: Int) -> Int { (z * shape.y + y) * shape.x + x }

    /// The voxel at (z, y, x), read or written in place.
    @inlinable public subscript(z: Int, y: Int, x: Int) -> T {
        get { data[(z * shape.y + y) * shape.x + x] }
        set { data[(z * shape.y + y) * shape.x + x] = newValue }
    }

    /// The z-plane as a contiguous slice of the backing storage.
    public func plane(_ z: Int) -> ArraySlice<T> {
        let n = shape.planeCount
        return data[(z * n)..<((z + 1) * n)]
    }

    /// Copies a sub-box out into a new volume.
    public func extract(_ box: Box3) -> Volume<T> {
        precondition(Box3(shape: shape).contains(box), "box \(box) outside volume \(shape)")
        var out: [T] = []
        out.reserveCapacity(box.shape.count)
        for z in box.z {
            for y in box.y {
                let row = (z * shape.y + y) * shape.x
                out.append(contentsOf: data[(row + box.x.lowerBound)..<(row + box.x.upperBound)])
            }
        }
        return Volume(shape: box.shape, data: out)
    }

    /// Writes `source` into this volume with its origin at `origin` (z, y, x).
    public mutating func insert(_ source: Volume<T>, at origin: (z: Int, y: Int, x: Int)) {
        let s = source.shape
        precondition(origin.z + s.z <= shape.z && origin.y + s.y <= shape.y && origin.x + s.x <= shape.x)
        data.withUnsafeMutableBufferPointer { dst in
            source.data.withUnsafeBufferPointer { src in
                for z in 0..<s.z {
                    for y in 0..<s.y {
                        let d = ((origin.z + z) * shape.y + origin.y + y) * shape.x + origin.x
                        let r = (z * s.y + y) * s.x
                        for x in 0..<s.x { dst[d + x] = src[r + x] }
                    }
                }
            }
        }
    }

    /// A volume of the same shape with `transform` applied to every voxel.
    /// - Parameter transform: Maps one voxel's value to the new one.
    /// - Returns: The transformed volume.
    /// - Throws: Whatever `transform` throws.
    public func map<U>(_ transform: (T) throws -> U) rethrows -> Volume<U> {
        Volume<U>(shape: shape, data: try data.map(transform))
    }
}

extension Volume: Equatable where T: Equatable {}

/// Element types a volume may hold when read from or written to files.
public enum ScalarType: String, Sendable, CaseIterable {
    /// Unsigned 8-bit integers (labels, masks, 8-bit images).
    case uint8
    /// Unsigned 16-bit integers (raw EM images).
    case uint16
    /// Signed 32-bit integers.
    case int32
    /// 32-bit floats (normalized images, probabilities).
    case float32
    /// 16-bit floats.
    case float16
    /// Wide integers (int64, uint32, uint64 files; instance IDs), read exactly.
    case int64
    /// Doubles, read exactly.
    case float64
    /// Bytes per element.
    public var byteSize: Int {
        switch self { case .uint8: 1; case .uint16, .float16: 2; case .int32, .float32: 4; case .int64, .float64: 8 }
    }
}

/// A volume of any supported element type, as it came from a file.
public enum AnyVolume: Sendable {
    /// Unsigned 8-bit data.
    case uint8(Volume<UInt8>)
    /// Unsigned 16-bit data.
    case uint16(Volume<UInt16>)
    /// Signed 32-bit data.
    case int32(Volume<Int32>)
    /// 32-bit float data.
    case float32(Volume<Float>)
    /// Integers beyond int32 (e.g. instance IDs), exactly as stored.
    case int64(Volume<Int64>)
    /// Doubles that float32 cannot hold exactly.
    case float64(Volume<Double>)

    /// The extent of the volume, whatever its element type.
    public var shape: Shape3 {
        switch self {
        case .uint8(let v): v.shape
        case .uint16(let v): v.shape
        case .int32(let v): v.shape
        case .float32(let v): v.shape
        case .int64(let v): v.shape
        case .float64(let v): v.shape
        }
    }

    /// The element type's name, as `info` prints it.
    public var typeName: String {
        switch self {
        case .uint8: "uint8"; case .uint16: "uint16"; case .int32: "int32"; case .float32: "float32"
        case .int64: "int64"; case .float64: "float64"
        }
    }

    /// Converts to float32 (for images and network input); wide values are rounded to the nearest float.
    public func asFloat() -> Volume<Float> {
        switch self {
        case .uint8(let v): v.map { Float($0) }
        case .uint16(let v): v.map { Float($0) }
        case .int32(let v): v.map { Float($0) }
        case .float32(let v): v
        case .int64(let v): v.map { Float($0) }
        case .float64(let v): v.map { Float($0) }
        }
    }

    /// Converts to double: exact for every type but int64 beyond ±2^53 (rounded), so value ranges
    /// of wide data are not lost.
    public func asDouble() -> Volume<Double> {
        switch self {
        case .uint8(let v): v.map { Double($0) }
        case .uint16(let v): v.map { Double($0) }
        case .int32(let v): v.map { Double($0) }
        case .float32(let v): v.map { Double($0) }
        case .int64(let v): v.map { Double($0) }
        case .float64(let v): v
        }
    }
}
