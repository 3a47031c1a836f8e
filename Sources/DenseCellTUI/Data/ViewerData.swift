import DenseCellCore
import DenseCellIO
import Foundation

/// The study behind the view, out of core (docs/ARCHITECTURE.md, "Viewer"): its label sources
/// and the three stores that hold what the viewer makes of them — the planes (`PlaneStore`), the
/// statistics of the background pass (`StatisticsStore`) and the sources computed while it runs
/// (`DerivedSources`) — over one viewer cache file. Nothing here holds a whole volume.
public final class ViewerData: @unchecked Sendable {
    let schema: LabelSchema
    /// How the sources' stored values become the schema's classes, made once from it.
    let labelMapping: LabelMapping
    /// The image's shape, which every source shares.
    public let shape: Shape3
    /// The readers the study was opened with.
    let opened: StudyReaders
    let sources = SourceTable()
    let planes: PlaneStore
    let statistics: StatisticsStore
    let derived: DerivedSources
    private let cacheFile: ViewerCacheFile
    private let temporaryCache: Bool
    private var closed = false

    /// - Parameters:
    ///   - readers: the image and the label sources, reference first.
    ///   - cacheFile: the viewer cache; nil uses a temporary one removed by `close()`.
    ///   - cacheBytes: the bound of decoded planes (`view --cache-mb`).
    ///   - ensembleKey: the models' cache key, to reuse ensemble results computed the same way.
    ///   - changed: told (from any thread) when planes arrive or the pass counts more.
    ///   - noticed: told of problems found in the background (one line each).
    /// - Throws: `IOError` when the first slice of a volume is refused or no cache can be made.
    init(readers: StudyReaders, cacheFile: ViewerCacheFile?, cacheBytes: Int, ensembleKey: String?,
         changed: @escaping @Sendable () -> Void = {}, noticed: @escaping @Sendable (String) -> Void = { _ in }) throws(IOError) {
        opened = readers
        schema = readers.schema
        labelMapping = schema.mapping
        let image = readers.image
        shape = image.shape
        if let cacheFile { self.cacheFile = cacheFile; temporaryCache = false } else {
            self.cacheFile = try ViewerCacheFile.temporary(); temporaryCache = true
        }
        let file = self.cacheFile
        let ensemble = try EnsembleStore(file: file, shape: shape,
                                         key: (ensembleKey ?? "no models") + "; image " + ViewerCacheFile.identity(of: image))
        let window = try GrayWindow.opening(image)
        // The volume table: the image, then each source's labels and mask.
        let pyramid = PyramidStore(file: file, shape: shape)
        let volumes = VolumeTable()
        _ = volumes.add(.init(reader: image, kind: .image, pyramid: pyramid.group(for: image)))
        for s in readers.sources {
            let labels = volumes.add(.init(reader: s.labels, kind: .labels, pyramid: pyramid.group(for: s.labels)))
            let mask = s.mask.map { volumes.add(.init(reader: $0, kind: .mask, pyramid: pyramid.group(for: $0))) }
            sources.set(SourceVolumes(name: s.name, role: s.role, labels: labels, mask: mask, derived: false))
        }
        planes = PlaneStore(volumes: volumes, pyramid: pyramid, mapping: labelMapping, cacheBytes: cacheBytes) { error in
            if let error { noticed("cannot read a slice: \(error)") }
            changed()
        }
        let planes = self.planes
        statistics = StatisticsStore(
            image: image, sources: sources, volumes: volumes, schema: schema, mapping: labelMapping, file: file, pyramid: pyramid,
            key: SavedStatistics.key(image: image, sources: readers.sources.map { ($0.name, $0.labels, $0.mask) }, mapping: labelMapping),
            window: window, inline: readers.inMemory, waitForScreen: { planes.waitWhileScreenReads(atMost: 2) },
            changed: changed, noticed: noticed)
        derived = DerivedSources(ensemble: ensemble, sources: sources, planes: planes, statistics: statistics, mapping: labelMapping)
        // Refused here, the temporary cache is removed by deinit.
        try planes.readFirstSlices()
        statistics.pass.setSources(derived.countedSources())
    }

    deinit { close() }

    /// Stops the background work; a temporary cache file is removed.
    func close() {
        guard !closed else { return }
        closed = true
        passReported()
        planes.stop()
        statistics.pass.stop()
        cacheFile.flush()
        if temporaryCache { cacheFile.removeFile() }
    }

    /// After the pass reported (key thread): takes the whole image's window once it is seen;
    /// returns whether the window changed (the panes are then drawn again).
    @discardableResult
    func passReported() -> Bool {
        guard statistics.passReported() else { return false }
        planes.windowChanged()
        return true
    }

    /// The reader of a volume of the table.
    func reader(_ volume: Int) -> VolumeSource { planes.volumes[volume].reader }

    /// The readers of the sources as they stand, derived ones included (taken on the key
    /// thread, read on any): what figure export reads.
    var currentReaders: StudyReaders {
        var r = opened
        r.sources = sources.list.map { ($0.name, $0.role, reader($0.labels), $0.mask.map(reader)) }
        return r
    }

    var organelles: Set<Int> { Set(schema.organelles) }
}
