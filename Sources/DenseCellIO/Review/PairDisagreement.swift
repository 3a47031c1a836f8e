import DenseCellCore
import Foundation

/// The disagreement regions of one pair of label sources of an opened study, found in one
/// streaming pass, and the voxels of any one of them (see docs/ARCHITECTURE.md, Review).
public struct PairDisagreement {
    /// Source A of the pair (the one consensus labels start from).
    public let a: StudyLabels
    /// Source B of the pair.
    public let b: StudyLabels
    /// Which class disagreements make regions.
    public let rule: DisagreementRule
    /// How the sources' stored values become classes (the study's).
    public let mapping: LabelMapping
    /// Regions smaller than this are dropped.
    public let minVoxels: Int
    /// The study's (z, y, x) shape.
    public var shape: Shape3 { a.labels.shape }
    /// The names of A and B.
    public var pair: (String, String) { (a.name, b.name) }

    /// - Parameters:
    ///   - study: the opened study.
    ///   - pair: names of sources A and B.
    ///   - allClasses: count cell/background disagreements too.
    ///   - minVoxels: smaller regions are dropped.
    /// - Throws: `IOError` for a missing source.
    public init(_ study: OpenedStudy, pair: (String, String), allClasses: Bool = false, minVoxels: Int = 20) throws(IOError) {
        a = try study.source(pair.0)
        b = try study.source(pair.1)
        rule = DisagreementRule(classes: study.schema.count, organelles: Set(study.schema.organelles), allClasses: allClasses)
        mapping = study.labelMapping
        self.minVoxels = minVoxels
    }

    /// The pair's disagreement regions, largest first.
    ///
    /// - Parameters:
    ///   - cancel: stops the search between slabs (the result is then nil).
    ///   - progress: called with (planes done, planes) after each slab.
    public func regions(until cancel: CancelToken, progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> [DisagreementRegion]? {
        var finder = DisagreementRegionFinder(shape: shape, rule: rule, minVoxels: minVoxels)
        let masks = a.masks + b.masks
        let pass = try SlabPass([(a.labels, .labels), (b.labels, .labels)] + masks.map { ($0, .mask) },
                                mapping: mapping,
                                extraBytesPerVoxel: DisagreementRegionFinder.bytesPerVoxel, cancel: cancel)
        let finished = try pass.run(progress: progress ?? { _, _ in }) { slab in
            finder.add(a: slab.labels(a.labels), b: slab.labels(b.labels), masks: slab.masks(masks), z0: slab.z.lowerBound)
        }
        return finished ? finder.finish() : nil
    }

    /// The pair's disagreement regions, largest first (a search that cannot be cancelled).
    public func regions(progress: ((Int, Int) -> Void)? = nil) throws(IOError) -> [DisagreementRegion] {
        try regions(until: CancelToken(), progress: progress)!
    }

    /// The voxels of one region (1 inside), shaped like its box.
    public func regionMask(_ region: DisagreementRegion) throws(IOError) -> Volume<UInt8> {
        let masks = [try a.readMask(region.box), try b.readMask(region.box)].compactMap { $0 }
        return Consensus.regionMask(region, a: try a.readLabels(region.box, mapping: mapping),
                                    b: try b.readLabels(region.box, mapping: mapping), masks: masks, rule: rule)
    }
}
