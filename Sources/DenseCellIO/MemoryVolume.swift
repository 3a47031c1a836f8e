import DenseCellCore

/// A volume already in memory behind the reader protocol: studies built in code (tests, the
/// viewer given a `Study`) read through the same path as files. Reads are copies of the box.
public final class MemoryVolume: VolumeSource {
    public let reference: VolumeReference
    /// The voxels.
    public let volume: AnyVolume
    /// Whether its labels are classes already (a `Study`'s labels), not values as users store them.
    public let holdsClassIndices: Bool

    /// - Parameters:
    ///   - name: what errors and `info` call it (no file behind it).
    ///   - holdsClassIndices: the voxels are labels read already (classes), so a schema's listed
    ///     stored values do not apply to them.
    public init(_ volume: AnyVolume, name: String, holdsClassIndices: Bool = false) {
        self.volume = volume
        self.holdsClassIndices = holdsClassIndices
        reference = VolumeReference(path: name, dataset: nil, kind: .hdf5(dataset: nil))
    }

    public var shape: Shape3 { volume.shape }
    public var typeName: String {
        switch volume {
        case .uint8: "uint8"
        case .uint16: "uint16"
        case .int32: "int32"
        case .float32: "float32"
        case .int64: "int64"
        case .float64: "float64"
        }
    }
    public var readBytesPerVoxel: Int {
        switch volume {
        case .uint8: 1
        case .uint16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }
    public var storage: String { "in memory" }
    public var zGrain: Int { 1 }
    public var isInMemory: Bool { true }

    public func read(_ box: Box3) throws(IOError) -> AnyVolume {
        precondition(bounds.contains(box), "box \(box) outside volume \(shape)")
        switch volume {
        case .uint8(let v): return .uint8(v.extract(box))
        case .uint16(let v): return .uint16(v.extract(box))
        case .int32(let v): return .int32(v.extract(box))
        case .float32(let v): return .float32(v.extract(box))
        case .int64(let v): return .int64(v.extract(box))
        case .float64(let v): return .float64(v.extract(box))
        }
    }
}
