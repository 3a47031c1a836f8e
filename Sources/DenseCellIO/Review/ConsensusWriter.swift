import DenseCellCore
import Foundation

/// Writes consensus labels into a study file (see docs/ARCHITECTURE.md, Review): A with the
/// review's decisions applied, or the voxelwise majority of several sources — streamed slab by
/// slab through a study writer, so a new file appears complete or not at all. The writer comes
/// back uncommitted: the caller lets go of the study it read (which may be the output) and then
/// commits.
public enum ConsensusWriter {
    /// What writing consensus labels from decisions did.
    public struct Summary: Sendable, Equatable {
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
    ///   - disagreement: the reviewed pair.
    ///   - regions: the pair's regions, as `PairDisagreement.regions` finds them.
    ///   - review: the replayed review log.
    ///   - study: the study, for the source an `ensemble` decision takes.
    ///   - ensemble: that source's name (default `ensemble`).
    ///   - out: the file to write; created atomically if new, else the datasets are added to it
    ///     in one short write at the end.
    ///   - name: the labels' name; the undecided mask is `/masks/NAME-undecided`.
    /// - Throws: `IOError` when a decision names a region the study no longer has (labels changed
    ///   since the review), or an ensemble decision has no ensemble source.
    public static func fromDecisions(_ disagreement: PairDisagreement, regions: [DisagreementRegion], review: ReviewState,
                                     study: OpenedStudy, ensemble: String = "ensemble", out: String, name: String,
                                     progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> (Summary, StudyWriter) {
        let pair = disagreement.pair, mapping = disagreement.mapping
        let decisions = review.decisions(pair: pair)
        let byID = Dictionary(uniqueKeysWithValues: regions.map { ($0.id, $0) })
        var ensembleSource: StudyLabels? = nil
        var patches: [Consensus.Patch] = []
        var decided = 0
        for (id, record) in decisions.sorted(by: { $0.key < $1.key }) {
            guard let region = byID[id], let ref = record.region, ref.matches(region) else {
                throw IOError(.badShape, file: study.subject,
                              "the review decided region \(id) of \(pair.0),\(pair.1), which this study no longer has as it was (the labels changed since the review)")
            }
            let mask = try disagreement.regionMask(region)
            let taken: StudyLabels?
            switch record.take ?? .neither {
            case .a: taken = disagreement.a
            case .b: taken = disagreement.b
            case .ensemble:
                if ensembleSource == nil { ensembleSource = try study.source(ensemble) }
                taken = ensembleSource
            case .neither: taken = nil
            }
            patches.append(.init(box: region.box, mask: mask, labels: try taken?.readLabels(region.box, mapping: mapping)))
            if taken != nil { decided += 1 }
        }
        for region in regions where decisions[region.id] == nil {
            patches.append(.init(box: region.box, mask: try disagreement.regionMask(region), labels: nil))
        }
        var summary = Summary(decidedRegions: decided, totalRegions: regions.count, changedVoxels: 0, undecidedVoxels: 0)
        let a = disagreement.a.labels
        let writer = try write(reading: [a], mapping: mapping, out: out, name: name, progress: progress) { slab in
            var labels = slab.labels(a)
            var undecided = Volume<UInt8>(shape: labels.shape, repeating: 0)
            summary.changedVoxels += Consensus.apply(patches, to: &labels, undecided: &undecided, z0: slab.z.lowerBound)
            summary.undecidedVoxels += undecided.data.reduce(0) { $0 + Int($1) }
            return (labels, undecided)
        }
        return (summary, writer)
    }

    /// Writes the voxelwise majority of three or more sources of a study.
    /// - Returns: the number of tied (undecided) voxels, and the writer to commit.
    public static func vote(_ study: OpenedStudy, sources names: [String], out: String, name: String,
                            progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> (Int, StudyWriter) {
        let sources = try names.map { (n: String) throws(IOError) in try study.source(n).labels }
        var ties = 0
        let writer = try write(reading: sources, mapping: study.labelMapping, out: out, name: name, progress: progress) { slab in
            let (labels, undecided) = Consensus.vote(sources.map(slab.labels))
            ties += undecided.data.reduce(0) { $0 + Int($1) }
            return (labels, undecided)
        }
        return (ties, writer)
    }

    /// Streams labels and an undecided mask made from slabs of `sources` into `/labels/NAME` and
    /// `/masks/NAME-undecided` through the study writer: a new file appears complete or not at
    /// all; an existing one gets both datasets (replacing earlier ones of the name) when the
    /// returned writer is committed.
    static func write(reading sources: [VolumeSource], mapping: LabelMapping, out: String, name: String,
                      progress: ((Int, Int) -> Void)?,
                      slab make: (SlabPass.Slab) throws(IOError) -> (Volume<UInt8>, Volume<UInt8>)) throws(IOError) -> StudyWriter {
        // Per voxel besides the sources: the labels made and the undecided mask.
        let pass = try SlabPass(sources.map { ($0, .labels) }, mapping: mapping, extraBytesPerVoxel: 2)
        let writer = try StudyWriter(path: out, shape: pass.shape, existing: .addTo)
        let maskName = name + "-undecided"
        try writer.createLabels(name, role: .truth)
        try writer.createMask(maskName)
        try pass.run(progress: progress ?? { _, _ in }) { slab throws(IOError) in
            let (labels, undecided) = try make(slab)
            let box = sources[0].slab(slab.z)
            try writer.writeLabels(name, box: box, labels.data)
            try writer.writeMask(maskName, box: box, undecided.data)
        }
        try writer.setAttribute(StudyFile.labelsDataset(name), "undecided", .string("/masks/" + maskName))
        return writer
    }
}
