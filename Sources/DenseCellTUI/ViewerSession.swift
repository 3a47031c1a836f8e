import DenseCellCore
import DenseCellIO
import Foundation

/// Holds the state and the data: every action goes through the pure `reduce`, whose effects
/// (jobs, rankings, the review log, figures) are run here; what background work reports comes
/// back as events, applied on the key thread. The terminal loop and the tests drive the viewer
/// through this.
public final class ViewerSession {
    /// What the viewer shows now; it changes only through actions (`send(_:)`).
    public private(set) var state: ViewState
    /// The study behind the view: its sources, planes, statistics and derived sources.
    public let data: ViewerData
    let renderer = Renderer()
    private let provider: SegmentationProvider?
    private let studyPath: String
    private let exportDirectory: String
    private let events = BackgroundEvents()
    private var job: InferenceJob?
    private let exports = DispatchGroup()
    private var regionSearches = 0
    private var rankingComplete = false
    /// Consensus patches being made off the key thread, and the consensus they belong to.
    private var consensusJobs = 0
    private var consensusGeneration = 0
    private let reviews = ReviewRecorder()
    /// Regions smaller than this are left out of the queue (as `densecell regions` does by default).
    static let regionMinVoxels = 20
    static let consensusName = SourceTable.consensusName

    /// A session over a study held in memory (small studies built in code).
    /// - Parameters: as `init(slices:fileName:provider:cachePath:cacheBytes:studyPath:exportDirectory:withoutModels:)`.
    /// - Throws: `IOError` when no viewer cache can be made.
    public convenience init(study: Study, fileName: String, provider: SegmentationProvider?, cachePath: String?,
                            cacheBytes: Int = 512 << 20, studyPath: String? = nil, exportDirectory: String = ".",
                            withoutModels: String = ViewerSession.noModels) throws(IOError) {
        try self.init(readers: StudyReaders(study, fileName: fileName), fileName: fileName, provider: provider, cachePath: cachePath,
                      cacheBytes: cacheBytes, studyPath: studyPath, exportDirectory: exportDirectory, withoutModels: withoutModels)
    }

    /// A session over a study on disk, read on demand.
    /// - Parameters:
    ///   - study: the opened study (image, sources, masks).
    ///   - fileName: shown in the header.
    ///   - provider: the ensemble for `i`/`I`, or nil when no models were given.
    ///   - cachePath: the viewer cache file, or nil for a temporary one.
    ///   - cacheBytes: the bound of decoded slices held (`--cache-mb`).
    ///   - exportDirectory: where `e` writes PNG figures.
    ///   - withoutModels: the footer's remark when there is no provider.
    /// - Throws: `IOError` when the image cannot be read or no viewer cache can be made.
    public convenience init(study: OpenedStudy, fileName: String, provider: SegmentationProvider?, cachePath: String?,
                            cacheBytes: Int = 512 << 20, studyPath: String? = nil, exportDirectory: String = ".",
                            withoutModels: String = ViewerSession.noModels) throws(IOError) {
        try self.init(readers: StudyReaders(study), fileName: fileName, provider: provider, cachePath: cachePath,
                      cacheBytes: cacheBytes, studyPath: studyPath, exportDirectory: exportDirectory, withoutModels: withoutModels)
    }

    public static let noModels = "no models loaded: ensemble inference is off (--models DIR to enable)"

    convenience init(image: VolumeSource, sources list: [StudyReaders.LabelReaders], schema: LabelSchema, resolutionNM: [Double]?,
                     fileName: String, provider: SegmentationProvider?, cachePath: String?, cacheBytes: Int, studyPath: String?,
                     exportDirectory: String, withoutModels: String) throws(IOError) {
        try self.init(readers: StudyReaders(image: image, schema: schema, resolutionNM: resolutionNM, sources: list),
                      fileName: fileName, provider: provider, cachePath: cachePath, cacheBytes: cacheBytes, studyPath: studyPath,
                      exportDirectory: exportDirectory, withoutModels: withoutModels)
    }

    init(readers: StudyReaders, fileName: String, provider: SegmentationProvider?, cachePath: String?,
         cacheBytes: Int, studyPath: String?, exportDirectory: String, withoutModels: String) throws(IOError) {
        self.studyPath = studyPath ?? fileName
        self.exportDirectory = exportDirectory
        var cacheFile: ViewerCacheFile?
        var cacheRemark: String?
        if let cachePath {
            do {
                cacheFile = try ViewerCacheFile(path: cachePath)
                cacheRemark = cacheFile?.replacedBecause
            } catch {
                cacheRemark = "viewer cache \(cachePath) cannot be written; using a temporary one"
            }
        }
        let events = self.events
        data = try ViewerData(readers: readers, cacheFile: cacheFile, cacheBytes: cacheBytes, ensembleKey: provider?.cacheKey,
                              changed: { events.post(.dataChanged) }, noticed: { events.post(.notice($0)) })
        self.provider = provider
        state = ViewState(fileName: fileName, shape: data.shape, classNames: data.schema.names, sources: data.sources.list.map(\.name))
        state.resolution = readers.resolutionNM
        if let cacheRemark { send(.notice(cacheRemark)) }
        if data.sources.index(of: SourceTable.ensembleName) != nil {
            let done = data.derived.ensemble.voxelsDone
            send(.notice("ensemble results from the cache: \(done * 100 / max(1, data.shape.count))% of the volume"))
        }
        send(.status(provider.map { "ensemble: \($0.summary) (i/I to run)" } ?? withoutModels))
    }

    /// Stops background work and closes the viewer cache (a temporary one is removed).
    public func close() {
        job?.cancel()
        data.close()
    }

    var isJobRunning: Bool { job != nil }

    /// Becomes readable when background work reports: the terminal loop waits on it with its input.
    var wakeDescriptor: Int32 { events.wakeDescriptor }

    /// Replays the review log (decisions and flags) and records new items into it.
    /// - Throws: `IOError` for a log of another study or a malformed line before the last.
    public func loadReview(path: String, reviewer: String) throws(IOError) {
        let sources = data.sources
        let remark = try reviews.load(path: path, reviewer: reviewer, shape: data.shape) { name in
            sources.index(of: name) != nil || name == SourceTable.ensembleName
        }
        if let remark { send(.notice(remark)) }
    }

    // MARK: Actions and their effects

    /// Applies an action: the next state from `reduce`, then what it asks for.
    public func send(_ action: Action) {
        let (next, effects) = reduce(state, action)
        state = next
        for effect in effects { run(effect) }
    }

    /// Runs one effect; what it finds comes back as actions (at once) or events (from other threads).
    private func run(_ effect: Effect) {
        switch effect {
        case .rankSlices(let forward): rankSlices(forward: forward)
        case .startInference(let kind): startJob(kind)
        case .cancelInference: job?.cancel()
        case .findRegions(let pair): startRegionSearch(pair)
        case .recordDecision(let take): decide(take)
        case .undoDecision: undo()
        case .recordFlag(let prompt): recordFlag(prompt)
        case .showReviewList: showReviewList()
        case .exportView: exportView()
        }
    }

    /// Brings the ranking of the compared pair up to date (from the pass's counts), then steps.
    private func rankSlices(forward: Bool) {
        var partial: String?
        if let a = data.sources.index(of: state.sources[state.pair.a]), let b = data.sources.index(of: state.sources[state.pair.b]),
           state.ranking?.pair != state.pair || state.ranking?.revision != data.sources.revision || !rankingComplete {
            var (r, complete) = data.statistics.ranking(SourcePair(a: a, b: b))
            r.pair = state.pair
            rankingComplete = complete
            send(.setRanking(r))
            if !complete, let p = data.statistics.passProgress { partial = "ranking from the \(p.done) of \(p.total) slices counted so far" }
        }
        send(.stepRanking(forward: forward))
        if let partial { send(.notice(partial)) }
    }

    /// The rule regions are found with.
    private var regionRule: DisagreementRule {
        DisagreementRule(classes: data.schema.count, organelles: data.organelles)
    }

    /// Finds the regions of a pair off the key-handling thread, in one streaming pass over the
    /// two sources.
    private func startRegionSearch(_ pair: SourcePair) {
        guard let ia = data.sources.index(of: state.sources[pair.a]), let ib = data.sources.index(of: state.sources[pair.b]) else { return }
        let a = data.sources[ia], b = data.sources[ib], rule = regionRule
        let readers = [a.labels, b.labels].map(data.reader), masks = [a.mask, b.mask].compactMap { $0 }.map(data.reader)
        let events = self.events, shape = data.shape, mapping = data.labelMapping
        regionSearches += 1
        send(.notice("finding the regions where \(a.name) and \(b.name) disagree…"))
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                var finder = DisagreementRegionFinder(shape: shape, rule: rule, minVoxels: ViewerSession.regionMinVoxels)
                let pass = try SlabPass(readers.map { ($0, .labels) } + masks.map { ($0, .mask) }, mapping: mapping,
                                        extraBytesPerVoxel: DisagreementRegionFinder.bytesPerVoxel)
                try pass.run { slab in
                    finder.add(a: slab.labels(readers[0]), b: slab.labels(readers[1]), masks: slab.masks(masks), z0: slab.z.lowerBound)
                }
                events.post(.regionsFound(pair, finder.finish()))
            } catch {
                events.post(.notice("regions not found: \(error)"))
                events.post(.regionsFound(pair, []))
            }
        }
    }

    private func pairNames(_ p: SourcePair) -> (String, String) { (state.sources[p.a], state.sources[p.b]) }

    /// Appends a record to the log; a failure is told in the footer, not fatal.
    private func record(_ r: ReviewRecord) -> Bool {
        guard let failure = reviews.append(r) else { return true }
        send(.notice(failure))
        return false
    }

    /// Records a decision on the current region (`reduce` made sure there is one).
    private func decide(_ take: ReviewRecord.Take) {
        guard let q = state.regionQueue, let region = q.current else { return }
        let names = pairNames(q.pair)
        // Taking the ensemble's labels needs them on every voxel of the region.
        if take == .ensemble && (data.sources.index(of: SourceTable.ensembleName) == nil || !data.derived.ensembleCovers(region.box)) {
            send(.notice("no ensemble labels for region \(region.id) yet: i/I run the ensemble")); return
        }
        let r = ReviewRecord(reviewer: reviews.reviewer, kind: .decision, shape: data.shape,
                             at: (state.z, state.cursor.y, state.cursor.x), pair: names, region: region, take: take)
        guard record(r) else { return }
        updateConsensus(q.pair, regions: [region])
        let chosen: String
        switch take {
        case .a: chosen = "took A (\(names.0))"
        case .b: chosen = "took B (\(names.1))"
        case .ensemble: chosen = "took the ensemble"
        case .neither: chosen = "left to an expert"
        }
        send(.decisionRecorded(regionID: region.id, take: take,
                               summary: "region \(region.id): \(chosen) (\(q.decided.count + (q.decided[region.id] == nil ? 1 : 0))/\(q.regions.count) decided)"))
    }

    private func undo() {
        guard let q = state.regionQueue else { send(.notice("nothing to undo")); return }
        let names = pairNames(q.pair)
        guard let last = reviews.review.items.last(where: { $0.kind == .decision && $0.pair == [names.0, names.1] }),
              let id = last.region?.id else {
            send(.notice("no decision to undo")); return
        }
        let r = ReviewRecord(reviewer: reviews.reviewer, kind: .undo, shape: data.shape, at: (state.z, state.cursor.y, state.cursor.x),
                             pair: names, target: last.id)
        guard record(r) else { return }
        if id >= 1, id <= q.regions.count { updateConsensus(q.pair, regions: [q.regions[id - 1]]) }
        send(.decisionUndone(regionID: id))
    }

    /// Records a flag typed on the prompt (which `reduce` has closed).
    private func recordFlag(_ prompt: NotePrompt) {
        let note = prompt.text.trimmingCharacters(in: .whitespaces)
        let region = state.regionMode ? state.regionQueue?.current : nil
        let r = ReviewRecord(reviewer: reviews.reviewer, kind: .flag, shape: data.shape, at: (prompt.at[0], prompt.at[1], prompt.at[2]),
                             pair: state.hasPair ? pairNames(state.pair) : nil, region: region, note: note.isEmpty ? nil : note)
        if record(r) { send(.notice("flagged (\(prompt.at.map(String.init).joined(separator: ","))): \(note)")) }
    }

    private func showReviewList() { send(.setReviewList(ReviewList(items: reviews.listItems))) }

    /// The live consensus source: A with every decided region taken from the chosen source.
    /// Regions are disjoint, so a decision changes only its own region's voxels: `regions` nil
    /// rebuilds from every decision of the log, otherwise only those regions are redone. The
    /// regions' boxes are read and their patches made off the key thread.
    private func updateConsensus(_ pair: SourcePair, regions only: [DisagreementRegion]? = nil) {
        guard let q = state.regionQueue, q.pair == pair, let ia = data.sources.index(of: state.sources[pair.a]),
              let ib = data.sources.index(of: state.sources[pair.b]) else { return }
        let a = data.sources[ia], b = data.sources[ib]
        let decisions = reviews.review.decisions(pair: pairNames(pair))
        if data.sources.index(of: Self.consensusName) == nil || only == nil {
            data.derived.resetConsensus(base: ia)
            consensusGeneration += 1
        }
        if !state.sources.contains(Self.consensusName) { send(.addSource(Self.consensusName)) }
        let redo = only ?? q.regions.filter { decisions[$0.id] != nil }
        // What each region takes: nil keeps A's labels there.
        var work: [(DisagreementRegion, VolumeSource?)] = []
        for region in redo {
            var chosen: VolumeSource? = nil
            if let r = decisions[region.id], r.region?.matches(region) == true {
                switch r.take ?? .neither {
                case .a, .neither: chosen = nil
                case .b: chosen = data.reader(b.labels)
                case .ensemble: chosen = data.sources.index(of: SourceTable.ensembleName).map { data.reader(data.sources[$0].labels) }
                }
            }
            work.append((region, chosen))
        }
        let readerA = data.reader(a.labels), readerB = data.reader(b.labels)
        let masks = [a.mask, b.mask].compactMap { $0 }.map(data.reader)
        let rule = regionRule, mapping = data.labelMapping, events = self.events, generation = consensusGeneration, todo = work
        consensusJobs += 1
        DispatchQueue.global(qos: .userInitiated).async {
            var patches: [(Int, Consensus.Patch?, Box3)] = []
            do {
                for (region, chosen) in todo {
                    guard let chosen else { patches.append((region.id, nil, region.box)); continue }
                    let mask = Consensus.regionMask(region, a: try readerA.readLabels(region.box, mapping: mapping),
                                                    b: try readerB.readLabels(region.box, mapping: mapping),
                                                    masks: try masks.map { try $0.readMask(region.box) }, rule: rule)
                    patches.append((region.id, .init(box: region.box, mask: mask, labels: try chosen.readLabels(region.box, mapping: mapping)),
                                    region.box))
                }
                events.post(.consensusPatches(generation: generation, patches))
            } catch {
                events.post(.notice("consensus not updated: \(error)"))
                events.post(.consensusPatches(generation: generation, []))
            }
        }
    }

    private func startJob(_ kind: JobKind) {
        guard let provider else {
            send(.notice("no models loaded: start with --models DIR to run the ensemble"))
            return
        }
        guard job == nil else { send(.notice("a job is already running (c cancels it)")); return }
        let roi: Box3
        switch kind {
        case .wholeVolume: roi = Box3(shape: data.shape)
        case .visibleRegion:
            guard let v = Layout(state).visibleRegion(state) else { send(.notice("nothing visible")); return }
            roi = v
        }
        if data.derived.ensembleCovers(roi) {
            send(.notice("ensemble already computed for the \(kind.title) (cached)"))
            return
        }
        let job = InferenceJob(kind: kind, roi: roi, image: data.opened.image,
                               normalization: data.statistics.normalization.map { ($0.mean, $0.std) },
                               store: data.derived.ensemble, provider: provider, events: events)
        self.job = job
        send(.jobStarted(JobStatus(kind: kind, voxelsTotal: roi.shape.count)))
        job.start()
    }

    /// Writes the panes on screen (visible region, opacity, hidden classes) as a PNG figure, read
    /// and rendered off the key thread at full resolution.
    private func exportView() {
        let layout = Layout(state)
        guard let region = layout.visibleRegion(state) else { send(.notice("nothing visible to export")); return }
        // The panes of the plane j/k move (with three planes, that plane's pane).
        let axis = state.plane
        let panes = layout.panes.filter { $0.axis == axis }.map { $0.kind.figurePane(state) }
        let window = data.statistics.window
        let visible = axis.ranges(region)
        let options = FigureOptions(alpha: state.alpha, roiY: visible.rows, roiX: visible.columns, hiddenClasses: state.hiddenClasses,
                                    grayWindow: (window.lo, window.hi))
        let index = state.index(axis), readers = data.currentReaders, depth = axis.depth(data.shape), studyPath = self.studyPath
        let directory = exportDirectory, events = self.events
        send(.notice("exporting \(axis.normalName) \(index)…"))
        DispatchQueue.global(qos: .userInitiated).async(group: exports) {
            do {
                let plane = try readers.planeStudy(axis, at: index)
                var o = options
                o.heading = FigureExport.defaultHeading(studyPath: studyPath, study: plane, z: index, options: o, sliceCount: depth, axis: axis)
                let path = try FigureExport.export(study: plane, studyPath: studyPath, z: index, panes: panes, options: o,
                                                   directory: directory, firstSlice: index, sliceCount: depth, axis: axis)
                events.post(.notice("wrote \(path)"))
            } catch {
                events.post(.notice("export failed: \(error)"))
            }
        }
    }

    /// Waits until figure exports have been written (tests, quitting).
    func flushExports() { exports.wait() }

    // MARK: What background work reported

    /// Applies what background work reported; returns whether anything changed.
    @discardableResult
    public func applyBackgroundEvents() -> Bool {
        let pending = events.drain()
        guard !pending.isEmpty else { return false }
        for event in pending {
            switch event {
            case .progress(let done, let total, let tile):
                if let tile { applyTile(tile) }
                let elapsed = job.map { Date().timeIntervalSince($0.started) } ?? 0
                send(.jobProgress(voxelsDone: done, voxelsTotal: total, elapsedSeconds: elapsed))
            case .finished(let roi, let cancelled, let error):
                let elapsed = job.map { Date().timeIntervalSince($0.started) } ?? 0
                job = nil
                let message: String
                if let error { message = "ensemble failed: \(error)" }
                else if cancelled { message = "ensemble cancelled; finished tiles kept" }
                else { message = String(format: "ensemble done: %@ voxels in %.1f s", "\(roi.shape.count)", elapsed) }
                send(.jobEnded(message: message))
            case .notice(let text):
                send(.notice(text))
            case .dataChanged:
                data.passReported()
            case .consensusPatches(let generation, let patches):
                consensusJobs -= 1
                guard generation == consensusGeneration else { break }
                for (id, patch, box) in patches { data.derived.patchConsensus(id, patch, box: box) }
            case .regionsFound(let pair, let regions):
                regionSearches -= 1
                guard pair.a < state.sources.count, pair.b < state.sources.count else { break }
                var decided: [Int: ReviewRecord.Take] = [:]
                var stale = 0
                for (id, r) in reviews.review.decisions(pair: pairNames(pair)) {
                    if id >= 1, id <= regions.count, r.region?.matches(regions[id - 1]) == true, let take = r.take { decided[id] = take }
                    else { stale += 1 }
                }
                send(.setRegionQueue(RegionQueue(pair: pair, regions: regions, decided: decided)))
                if !decided.isEmpty { updateConsensus(pair) }
                if stale > 0 { send(.notice("\(stale) decisions of the log name regions this study no longer has; not applied")) }
            }
        }
        return true
    }

    private func applyTile(_ box: Box3) {
        if data.derived.ensembleWritten(box) || !state.sources.contains(SourceTable.ensembleName) {
            send(.addSource(SourceTable.ensembleName))
        }
    }

    /// Waits for a running job to end and applies its results (for tests and for quitting).
    func waitForJob(timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while job != nil && Date() < deadline {
            if !applyBackgroundEvents() { events.wait(atMost: deadline.timeIntervalSinceNow) }
        }
        applyBackgroundEvents()
    }

    /// Waits until background work reports something (at once if a report waits) or `seconds` pass.
    func waitForBackground(atMost seconds: Double) { events.wait(atMost: seconds) }

    /// Whether nothing is read, counted, searched or computed in the background, and nothing
    /// reported waits to be applied.
    private var backgroundIdle: Bool {
        data.planes.idle && data.statistics.passIdle && job == nil && regionSearches == 0 && consensusJobs == 0 && events.isEmpty
    }

    /// Waits until every plane asked for is read, the background pass has counted everything,
    /// no job or region search runs, and applies what they reported (tests; `--measure-frames`).
    public func settle(timeout: TimeInterval = 30) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            _ = prepareFrame()
            applyBackgroundEvents()
            // Asking again after the last arrival finds nothing new to read: settled.
            if backgroundIdle {
                _ = prepareFrame()
                if data.planes.idle { break }
            }
            events.wait(atMost: deadline.timeIntervalSinceNow)
        }
        applyBackgroundEvents()
        data.passReported()
    }

    // MARK: Frames

    /// The request step before drawing: asks the plane store for the planes the current state
    /// draws (reading those not at hand and the neighbouring slices in the background, pinning
    /// the frame's), and returns what the frame is drawn from.
    public func prepareFrame() -> FrameData {
        let planes = data.planes
        let request = FrameRequest(state, sources: data.sources) { planes.level(forZoom: $0, kind: $1, axis: $2) }
        data.statistics.pass.prioritize(state.z)
        return FrameData(planes: planes.prepare(request, window: data.statistics.window), sources: data.sources.list,
                         schema: data.schema, shape: data.shape, levels: planes.pyramid.levels, window: data.statistics.window,
                         revision: data.sources.revision, statistics: data.statistics, ensemble: data.derived.ensemble)
    }

    /// Draws a prepared frame into a screen grid.
    public func render(_ frame: FrameData) -> ScreenGrid { renderer.render(state, data: frame) }

    /// Prepares and draws the current state: what the terminal shows, and what tests and `--measure-frames` inspect.
    public func frame() -> ScreenGrid { render(prepareFrame()) }
}
