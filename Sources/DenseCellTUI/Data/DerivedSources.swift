import DenseCellCore
import DenseCellIO

/// The sources the viewer computes while it runs, beside the study's own: the ensemble (its
/// results in the viewer cache, tile by tile) and the live consensus of the review loop (A with
/// the decided regions' patches). When one changes, only its changed slices are read and counted
/// again. Key thread only.
final class DerivedSources {
    let ensemble: EnsembleStore
    private var consensus: PatchedLabels?
    private let sources: SourceTable
    private let planes: PlaneStore
    private let statistics: StatisticsStore
    private let mapping: LabelMapping
    private let shape: Shape3

    init(ensemble: EnsembleStore, sources: SourceTable, planes: PlaneStore, statistics: StatisticsStore, mapping: LabelMapping) {
        self.ensemble = ensemble
        self.sources = sources
        self.planes = planes
        self.statistics = statistics
        self.mapping = mapping
        shape = planes.shape
        if ensemble.exists { addEnsembleSource() }
    }

    /// Every source as the background pass counts it (the ensemble counts nothing where it has not run).
    func countedSources() -> [CountedSource] {
        let store = ensemble, volumes = planes.volumes
        return sources.list.map { s in
            let labels = volumes[s.labels].reader
            var counted = CountedSource(name: s.name, labels: labels, mask: s.mask.map { volumes[$0].reader },
                                        cacheable: !s.derived && !labels.isInMemory)
            if s.name == SourceTable.ensembleName { counted.unlabeled = { z in store.coverage(z: z) == 0 } }
            return counted
        }
    }

    // MARK: The ensemble

    private func addEnsembleSource() {
        guard sources.index(of: SourceTable.ensembleName) == nil, let readers = ensemble.readers else { return }
        sources.set(SourceVolumes(name: SourceTable.ensembleName, role: .algorithm, labels: planes.add(readers.labels, .labels),
                                  mask: planes.add(readers.done, .mask), derived: true))
    }

    /// After the job wrote ensemble labels into `box` of the cache file: drops the planes and
    /// counts they replace. Returns true when the ensemble source is new.
    @discardableResult
    func ensembleWritten(_ box: Box3) -> Bool {
        let created = sources.index(of: SourceTable.ensembleName) == nil
        if created { addEnsembleSource(); statistics.pass.setSources(countedSources()) }
        guard let i = sources.index(of: SourceTable.ensembleName) else { return false }
        for v in [sources[i].labels, sources[i].mask].compactMap({ $0 }) { planes.invalidate(volume: v, z: box.z) }
        statistics.pass.invalidate(SourceTable.ensembleName, z: box.z)
        sources.changed()
        return created
    }

    /// Stores ensemble labels for `box` and shows them (what the job's tiles do, on this thread).
    ///
    /// - Throws: `IOError(.writeFailed)` when the viewer cache cannot be written.
    func insertEnsemble(_ labels: Volume<UInt8>, at box: Box3) throws(IOError) {
        try ensemble.write(SegmentationTile(box: box, labels: labels))
        ensembleWritten(box)
    }

    /// Whether every voxel of `box` has ensemble labels.
    func ensembleCovers(_ box: Box3) -> Bool { ensemble.covers(box) }

    // MARK: The live consensus

    /// Starts (or restarts) the consensus as A's labels with no decision applied. A restart
    /// puts the new labels under the same volume number.
    func resetConsensus(base a: Int) {
        let base = sources[a]
        let patched = PatchedLabels(base: planes.volumes[base.labels].reader, mapping: mapping, name: SourceTable.consensusName)
        consensus = patched
        let labels: Int
        if let i = sources.index(of: SourceTable.consensusName) {
            labels = sources[i].labels
            planes.replace(labels, with: patched, .labels)
        } else {
            labels = planes.add(patched, .labels)
        }
        sources.set(SourceVolumes(name: SourceTable.consensusName, role: .truth, labels: labels, mask: base.mask, derived: true))
        statistics.pass.setSources(countedSources())
        statistics.pass.invalidate(SourceTable.consensusName, z: 0..<shape.z)
        sources.changed()
    }

    /// Sets the patch of a decided region (nil: back to A's labels there).
    func patchConsensus(_ id: Int, _ patch: Consensus.Patch?, box: Box3) {
        guard let consensus, let i = sources.index(of: SourceTable.consensusName) else { return }
        consensus.setPatch(id, patch)
        planes.invalidate(volume: sources[i].labels, z: box.z)
        statistics.pass.invalidate(SourceTable.consensusName, z: box.z)
        sources.changed()
    }
}
