import DenseCellCore
import Foundation

/// The review of one pair of label sources of a study file: its disagreement regions, found in
/// one streaming pass, and consensus labels written from decisions or by voting
/// (see docs/ARCHITECTURE.md, Review).
public final class StudyReview {
    /// The open study.
    public let file: HDF5File
    /// Source A of the pair (the one consensus labels start from).
    public let a: StudyLabelReader
    /// Source B of the pair.
    public let b: StudyLabelReader
    /// Which class disagreements make regions.
    public let rule: DisagreementRule
    /// Regions smaller than this are dropped.
    public let minVoxels: Int
    /// The study's (z, y, x) shape.
    public var shape: Shape3 { a.shape }
    /// The names of A and B.
    public var pair: (String, String) { (a.name, b.name) }

    /// Planes read at a time: a few slices of a 2000×2000 study, a few tens of MB.
    public static let slabDepth = 8

    /// - Parameters:
    ///   - file: the open study.
    ///   - pair: names of sources A and B under `/labels`.
    ///   - schema: classes and the organelle set.
    ///   - allClasses: count cell/background disagreements too.
    ///   - minVoxels: smaller regions are dropped.
    /// - Throws: `IOError` for a missing source or sources of different shapes.
    public init(file: HDF5File, pair: (String, String), schema: LabelSchema, allClasses: Bool = false,
                minVoxels: Int = 20) throws(IOError) {
        self.file = file
        a = try StudyLabelReader(file: file, name: pair.0, classCount: schema.count)
        b = try StudyLabelReader(file: file, name: pair.1, classCount: schema.count)
        guard a.shape == b.shape else {
            throw IOError(.badShape, file: file.path, dataset: b.dataset,
                          "shape \(b.shape) does not match \(a.dataset) \(a.shape)")
        }
        rule = DisagreementRule(classes: schema.count, organelles: Set(schema.organelles), allClasses: allClasses)
        self.minVoxels = minVoxels
    }

    /// The pair's disagreement regions, largest first.
    /// - Parameter progress: called with (planes done, planes) after each slab.
    public func regions(progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> [DisagreementRegion] {
        var finder = DisagreementRegionFinder(shape: shape, rule: rule, minVoxels: minVoxels)
        var z = 0
        while z < shape.z {
            let zs = z..<min(shape.z, z + Self.slabDepth)
            let box = Box3(z: zs, y: 0..<shape.y, x: 0..<shape.x)
            let masks = [try a.mask(box), try b.mask(box)].compactMap { $0 }
            finder.add(a: try a.labels(box), b: try b.labels(box), masks: masks, z0: z)
            z = zs.upperBound
            progress?(z, shape.z)
        }
        return finder.finish()
    }

    /// The voxels of one region (1 inside), shaped like its box.
    public func regionMask(_ region: DisagreementRegion) throws(IOError) -> Volume<UInt8> {
        let masks = [try a.mask(region.box), try b.mask(region.box)].compactMap { $0 }
        return Consensus.regionMask(region, a: try a.labels(region.box), b: try b.labels(region.box), masks: masks, rule: rule)
    }

    /// What writing consensus labels did.
    public struct ConsensusSummary: Sendable, Equatable {
        /// Regions whose decision was applied.
        public var decidedRegions: Int
        /// Regions of the pair, decided or not.
        public var totalRegions: Int
        /// Voxels whose label differs from A's.
        public var changedVoxels: Int
        /// Voxels marked in the undecided mask.
        public var undecidedVoxels: Int
    }

    /// Writes A with every decided region replaced by the chosen source's labels.
    ///
    /// - Parameters:
    ///   - regions: the pair's regions, as `regions()` finds them.
    ///   - review: the replayed review log.
    ///   - ensemble: the source an `ensemble` decision takes (default `/labels/ensemble`).
    ///   - out: the file to write; created atomically if new, else the datasets are added to it
    ///     in one short write at the end.
    ///   - name: the labels' name; the undecided mask is `/masks/NAME-undecided`.
    /// - Throws: `IOError` when a decision names a region the study no longer has (labels changed
    ///   since the review), or an ensemble decision has no ensemble source.
    public func writeConsensus(regions: [DisagreementRegion], review: ReviewState, ensemble: String = "ensemble",
                               out: String, name: String,
                               progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> ConsensusSummary {
        let decisions = review.decisions(pair: pair)
        let byID = Dictionary(uniqueKeysWithValues: regions.map { ($0.id, $0) })
        var ensembleReader: StudyLabelReader? = nil
        var patches: [Consensus.Patch] = []
        var decided = 0
        for (id, record) in decisions.sorted(by: { $0.key < $1.key }) {
            guard let region = byID[id], let ref = record.region, ref.matches(region) else {
                throw IOError(.badShape, file: file.path,
                              "the review decided region \(id) of \(pair.0),\(pair.1), which this study no longer has as it was (the labels changed since the review)")
            }
            let mask = try regionMask(region)
            switch record.take ?? .neither {
            case .a: patches.append(.init(box: region.box, mask: mask, labels: try a.labels(region.box))); decided += 1
            case .b: patches.append(.init(box: region.box, mask: mask, labels: try b.labels(region.box))); decided += 1
            case .ensemble:
                if ensembleReader == nil {
                    ensembleReader = try StudyLabelReader(file: file, name: ensemble, classCount: rule.classes)
                }
                patches.append(.init(box: region.box, mask: mask, labels: try ensembleReader!.labels(region.box))); decided += 1
            case .neither: patches.append(.init(box: region.box, mask: mask, labels: nil))
            }
        }
        for region in regions where decisions[region.id] == nil {
            patches.append(.init(box: region.box, mask: try regionMask(region), labels: nil))
        }
        var summary = ConsensusSummary(decidedRegions: decided, totalRegions: regions.count, changedVoxels: 0, undecidedVoxels: 0)
        try Self.writeLabels(out: out, name: name, shape: shape, role: .truth, progress: progress) { zs throws(IOError) in
            var slab = try a.labels(z: zs)
            var undecided = Volume<UInt8>(shape: slab.shape, repeating: 0)
            summary.changedVoxels += Consensus.apply(patches, to: &slab, undecided: &undecided, z0: zs.lowerBound)
            summary.undecidedVoxels += undecided.data.reduce(0) { $0 + Int($1) }
            return (slab, undecided)
        }
        return summary
    }

    /// Writes the voxelwise majority of three or more sources of a study.
    /// - Returns: the number of tied (undecided) voxels.
    public static func writeVote(file: HDF5File, sources: [String], schema: LabelSchema, out: String, name: String,
                                 progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> Int {
        let readers = try sources.map { (n: String) throws(IOError) in try StudyLabelReader(file: file, name: n, classCount: schema.count) }
        for r in readers where r.shape != readers[0].shape {
            throw IOError(.badShape, file: file.path, dataset: r.dataset, "shape \(r.shape) does not match \(readers[0].dataset) \(readers[0].shape)")
        }
        var ties = 0
        try writeLabels(out: out, name: name, shape: readers[0].shape, role: .truth, progress: progress) { zs throws(IOError) in
            let slabs = try readers.map { (r: StudyLabelReader) throws(IOError) in try r.labels(z: zs) }
            let (labels, undecided) = Consensus.vote(slabs)
            ties += undecided.data.reduce(0) { $0 + Int($1) }
            return (labels, undecided)
        }
        return ties
    }

    /// Streams labels and an undecided mask, slab by slab, into `/labels/NAME` and
    /// `/masks/NAME-undecided` through the study writer: a new file appears complete or not at
    /// all; an existing one gets both datasets (replacing earlier ones of the name) at the end.
    static func writeLabels(out: String, name: String, shape: Shape3, role: SourceRole,
                            progress: ((Int, Int) -> Void)?,
                            slab: (Range<Int>) throws(IOError) -> (Volume<UInt8>, Volume<UInt8>)) throws(IOError) {
        let writer = try StudyWriter(path: out, shape: shape, existing: .addTo)
        let maskName = name + "-undecided"
        try writer.createLabels(name, role: role)
        try writer.createMask(maskName)
        var z = 0
        while z < shape.z {
            let zs = z..<min(shape.z, z + slabDepth)
            let (labels, undecided) = try slab(zs)
            let box = Box3(z: zs, y: 0..<shape.y, x: 0..<shape.x)
            try writer.writeLabels(name, box: box, labels.data)
            try writer.writeMask(maskName, box: box, undecided.data)
            z = zs.upperBound
            progress?(z, shape.z)
        }
        try writer.setAttribute("/labels/" + name, "undecided", .string("/masks/" + maskName))
        try writer.commit()
    }
}
