import DenseCellCore
import DenseCellIO
import Foundation

/// Holds the state and the data, runs the effects of actions (jobs, rankings, cache writes)
/// and applies job results. The terminal loop and the tests drive the viewer through this.
public final class ViewerSession {
    public private(set) var state: ViewState
    public let data: ViewerData
    public let renderer = Renderer()
    private let provider: SegmentationProvider?
    private let cachePath: String?
    private let studyPath: String
    private let exportDirectory: String
    private let events = JobEventQueue()
    private var job: InferenceJob?
    private let cacheWriter = DispatchQueue(label: "densecell.cache-writer")
    private let cacheWrites = DispatchGroup()

    /// - Parameters:
    ///   - fileName: shown in the header.
    ///   - provider: the ensemble for `i`/`I`, or nil when no models were given.
    ///   - cachePath: the sidecar cache file, or nil not to cache on disk.
    ///   - exportDirectory: where `e` writes PNG figures.
    ///   - withoutModels: the footer's remark when there is no provider.
    public init(study: Study, fileName: String, provider: SegmentationProvider?, cachePath: String?,
                studyPath: String? = nil, exportDirectory: String = ".",
                withoutModels: String = "no models loaded: ensemble inference is off (--models DIR to enable)") {
        self.studyPath = studyPath ?? fileName
        self.exportDirectory = exportDirectory
        // The reference first: truth, then annotators, then algorithms (stable within a role).
        var study = study
        let rank: [SourceRole: Int] = [.truth: 0, .annotator: 1, .algorithm: 2]
        study.labels = study.labels.enumerated().sorted { (rank[$0.element.role]!, $0.offset) < (rank[$1.element.role]!, $1.offset) }.map(\.element)
        data = ViewerData(study: study)
        self.provider = provider
        self.cachePath = cachePath
        state = ViewState(fileName: fileName, shape: study.shape, classNames: study.schema.names,
                          sources: study.labels.map(\.name))
        if let provider, let cachePath, let cached = SidecarCache.load(path: cachePath, key: provider.cacheKey, shape: study.shape) {
            data.setEnsemble(labels: cached.labels, done: cached.done)
            state = reduce(state, .addSource(ViewerData.ensembleName))
            let covered = cached.done.data.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
            state = reduce(state, .notice("ensemble results from the cache: \(covered * 100 / max(1, study.shape.count))% of the volume"))
        }
        state = reduce(state, .status(provider.map { "ensemble: \($0.summary) (i/I to run)" }
                                      ?? withoutModels))
    }

    public var isJobRunning: Bool { job != nil }

    /// Applies an action, running what it asks for outside the pure reducer first.
    public func send(_ action: Action) {
        switch action {
        case .nextDisagreement, .previousDisagreement:
            if state.hasPair, let a = data.sourceIndex(state.sources[state.pair.a]), let b = data.sourceIndex(state.sources[state.pair.b]),
               state.ranking?.pair != state.pair || state.ranking?.revision != data.revision {
                var r = data.ranking(SourcePair(a: a, b: b))
                r.pair = state.pair
                state = reduce(state, .setRanking(r))
            }
        case .runInference(let kind):
            startJob(kind)
            return
        case .exportView:
            exportView()
            return
        case .cancelJob:
            guard let job else { state = reduce(state, .notice("no job running")); return }
            job.cancel()
            state = reduce(state, .jobCancelling)
            return
        case .quit:
            job?.cancel()
        default: break
        }
        state = reduce(state, action)
    }

    private func startJob(_ kind: JobKind) {
        guard let provider else {
            state = reduce(state, .notice("no models loaded: start with --models DIR to run the ensemble"))
            return
        }
        guard job == nil else { state = reduce(state, .notice("a job is already running (c cancels it)")); return }
        let roi: Box3
        switch kind {
        case .wholeVolume: roi = Box3(shape: data.shape)
        case .visibleRegion:
            guard let v = Layout(state).visibleRegion(state) else { state = reduce(state, .notice("nothing visible")); return }
            roi = Box3(z: state.z..<(state.z + 1), y: v.y, x: v.x)
        }
        if data.ensembleCovers(roi) {
            state = reduce(state, .notice("ensemble already computed for the \(kind.title) (cached)"))
            return
        }
        let job = InferenceJob(kind: kind, roi: roi, image: data.image, provider: provider, events: events)
        self.job = job
        state = reduce(state, .jobStarted(JobStatus(kind: kind, voxelsTotal: roi.shape.count)))
        job.start()
    }

    /// Writes the panes on screen (visible region, opacity, hidden classes) as a PNG figure.
    private func exportView() {
        let layout = Layout(state)
        guard let region = layout.visibleRegion(state) else { state = reduce(state, .notice("nothing visible to export")); return }
        let panes = layout.panes.map { $0.kind.figurePane(state) }
        let study = data.study
        var options = FigureOptions(alpha: state.alpha, roiY: region.y, roiX: region.x, hiddenClasses: state.hiddenClasses,
                                    grayWindow: data.displayRange)
        options.heading = FigureExport.defaultHeading(studyPath: studyPath, study: study, z: state.z, options: options)
        do {
            let path = try FigureExport.export(study: study, studyPath: studyPath, z: state.z, panes: panes, options: options,
                                               directory: exportDirectory)
            state = reduce(state, .notice("wrote \(path)"))
        } catch {
            state = reduce(state, .notice("export failed: \(error)"))
        }
    }

    /// Applies what background jobs reported; returns whether anything changed.
    @discardableResult
    public func processJobEvents() -> Bool {
        let pending = events.drain()
        guard !pending.isEmpty else { return false }
        for event in pending {
            switch event {
            case .progress(let done, let total, let tile):
                if let tile { applyTile(tile.labels, at: tile.box) }
                let elapsed = job.map { Date().timeIntervalSince($0.started) } ?? 0
                state = reduce(state, .jobProgress(voxelsDone: done, voxelsTotal: total, elapsedSeconds: elapsed))
            case .finished(let roi, let labels, let cancelled, let error):
                let elapsed = job.map { Date().timeIntervalSince($0.started) } ?? 0
                job = nil
                if let labels { applyTile(labels, at: roi) }
                let message: String
                if let error { message = "ensemble failed: \(error)" }
                else if cancelled { message = "ensemble cancelled; finished tiles kept" }
                else { message = String(format: "ensemble done: %@ voxels in %.1f s", "\(roi.shape.count)", elapsed) }
                state = reduce(state, .jobEnded(message: message))
                saveCache()
            case .notice(let text):
                state = reduce(state, .notice(text))
            }
        }
        return true
    }

    private func applyTile(_ labels: Volume<UInt8>, at box: Box3) {
        if data.insertEnsemble(labels, at: box) || !state.sources.contains(ViewerData.ensembleName) {
            state = reduce(state, .addSource(ViewerData.ensembleName))
        }
    }

    /// Writes the ensemble results to the sidecar file off the key-handling thread.
    private func saveCache() {
        guard let cachePath, let provider, let ensemble = data.ensemble, let done = ensemble.mask else { return }
        let key = provider.cacheKey, labels = ensemble.labels
        let events = self.events
        cacheWriter.async(group: cacheWrites) {
            do { try SidecarCache.write(path: cachePath, key: key, labels: labels, done: done) } catch {
                events.post(.notice("cache not written: \(error)"))
            }
        }
    }

    /// Waits for a running job to end and applies its results (for tests and for quitting).
    public func waitForJob(timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while job != nil && Date() < deadline {
            if !processJobEvents() { Thread.sleep(forTimeInterval: 0.005) }
        }
        processJobEvents()
    }

    /// Waits until cache writes have landed on disk.
    public func flushCache() { cacheWrites.wait() }

    public func frame() -> ScreenGrid { renderer.render(state, data: data) }
}
