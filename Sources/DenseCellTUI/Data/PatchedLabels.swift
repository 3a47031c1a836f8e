import DenseCellCore
import DenseCellIO
import Foundation

/// The live consensus of the review loop as a volume reader: source A's labels with each decided
/// region's voxels taken from the chosen source. Only the decided regions' patches are held (their
/// boxes); A is read from disk like any source, so the consensus of a gigavoxel study costs what
/// its decisions cover.
final class PatchedLabels: VolumeSource, @unchecked Sendable {
    let base: VolumeSource
    /// How the base's stored values become classes; what this reader returns are classes.
    let mapping: LabelMapping
    let reference: VolumeReference
    private let lock = NSLock()
    private var patches: [Int: Consensus.Patch] = [:]

    init(base: VolumeSource, mapping: LabelMapping, name: String) {
        self.base = base
        self.mapping = mapping
        reference = VolumeReference(path: name, dataset: nil, kind: .hdf5(dataset: nil))
    }

    var shape: Shape3 { base.shape }
    var typeName: String { "uint8" }
    var readBytesPerVoxel: Int { 1 }
    var storage: String { "computed" }
    var zGrain: Int { base.zGrain }
    var blockExtent: Shape3? { base.blockExtent }
    var isInMemory: Bool { base.isInMemory }
    var holdsClassIndices: Bool { true }

    /// Sets (or with nil removes) the patch of region `id`.
    func setPatch(_ id: Int, _ patch: Consensus.Patch?) {
        lock.lock(); patches[id] = patch; lock.unlock()
    }

    func read(_ box: Box3) throws(IOError) -> AnyVolume {
        var planes = try base.readLabels(slab(box.z), mapping: mapping)
        lock.lock()
        let touching = patches.values.filter { $0.box.z.overlaps(box.z) }
        lock.unlock()
        _ = Consensus.apply(touching, to: &planes, z0: box.z.lowerBound)
        let local = Box3(z: 0..<box.z.count, y: box.y, x: box.x)
        return .uint8(planes.extract(local))
    }
}
