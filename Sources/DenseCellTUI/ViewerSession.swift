import DenseCellCore
import DenseCellIO
import Foundation

/// Holds the state and the data, runs the effects of actions (jobs, rankings, cache writes)
/// and applies job results. The terminal loop and the tests drive the viewer through this.
public final class ViewerSession {
    /// What the viewer shows now; it changes through actions (`send(_:)`, job events, review loading).
    public private(set) var state: ViewState
    /// The volumes behind the view, with the ensemble results as they arrive.
    public let data: ViewerData
    let renderer = Renderer()
    private let provider: SegmentationProvider?
    private let cachePath: String?
    private let studyPath: String
    private let exportDirectory: String
    private let events = JobEventQueue()
    private var job: InferenceJob?
    private let cacheWriter = DispatchQueue(label: "densecell.cache-writer")
    private let cacheWrites = DispatchGroup()
    private var review = ReviewState()
    private var reviewPath: String?
    private var reviewLog: ReviewLog?
    private var reviewer = "unknown"
    /// Regions smaller than this are left out of the queue (as `densecell regions` does by default).
    static let regionMinVoxels = 20
    static let consensusName = ViewerData.consensusName

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

    var isJobRunning: Bool { job != nil }

    /// Replays the review log (decisions and flags) and records new items into it.
    /// - Throws: `IOError` for a log of another study or a malformed line before the last.
    public func loadReview(path: String, reviewer: String) throws(IOError) {
        let contents = try ReviewLog.read(path: path, shape: data.shape)
        for r in contents.records {
            if let pair = r.pair, !pair.allSatisfy({ data.sourceIndex($0) != nil || $0 == ViewerData.ensembleName }) {
                throw IOError(.badReference, file: path,
                              "names the source \(pair.first { data.sourceIndex($0) == nil }!), which this study does not have: a log of another study")
            }
        }
        review = ReviewState(records: contents.records)
        reviewPath = path
        self.reviewer = reviewer
        if let warning = contents.warning { state = reduce(state, .notice(warning)) }
        else if !review.items.isEmpty { state = reduce(state, .notice("review log: \(review.items.count) items replayed (F lists them)")) }
    }

    /// The rule regions are found with.
    private var regionRule: DisagreementRule {
        DisagreementRule(classes: data.schema.count, organelles: data.organelles)
    }

    /// Finds the regions of the compared pair off the key-handling thread.
    private func startRegionSearch() {
        guard state.hasPair, let ia = data.sourceIndex(state.sources[state.pair.a]),
              let ib = data.sourceIndex(state.sources[state.pair.b]) else { return }
        let a = data.sources[ia], b = data.sources[ib], pair = state.pair, rule = regionRule
        let events = self.events
        DispatchQueue.global(qos: .userInitiated).async {
            let regions = DisagreementRegion.find(a: a.labels, b: b.labels, masks: [a.mask, b.mask].compactMap { $0 },
                                                  rule: rule, minVoxels: ViewerSession.regionMinVoxels)
            events.post(.regions(pair, regions))
        }
    }

    private func pairNames(_ p: SourcePair) -> (String, String) { (state.sources[p.a], state.sources[p.b]) }

    /// Appends a record to the log, opening it on first use; a failure is reported, not fatal.
    private func record(_ r: ReviewRecord) -> Bool {
        guard let path = reviewPath else {
            state = reduce(state, .notice("no review log: decisions are not recorded")); return false
        }
        do {
            if reviewLog == nil { reviewLog = try ReviewLog(path: path) }
            try reviewLog!.append(r)
        } catch {
            state = reduce(state, .notice("review log not written: \(error)")); return false
        }
        review.apply(r)
        return true
    }

    private func decide(_ take: ReviewRecord.Take) {
        guard state.regionMode, let q = state.regionQueue, let region = q.current else {
            state = reduce(state, .decide(take)); return
        }
        let names = pairNames(q.pair)
        if take == .ensemble && data.ensemble == nil {
            state = reduce(state, .notice("no ensemble labels yet: i runs the ensemble on the visible region")); return
        }
        let r = ReviewRecord(reviewer: reviewer, kind: .decision, shape: data.shape,
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
        state = reduce(state, .decisionRecorded(regionID: region.id, take: take,
                                                summary: "region \(region.id): \(chosen) (\(q.decided.count + (q.decided[region.id] == nil ? 1 : 0))/\(q.regions.count) decided)"))
    }

    private func undo() {
        guard let q = state.regionQueue else { state = reduce(state, .notice("nothing to undo")); return }
        let names = pairNames(q.pair)
        guard let last = review.items.last(where: { $0.kind == .decision && $0.pair == [names.0, names.1] }),
              let id = last.region?.id else {
            state = reduce(state, .notice("no decision to undo")); return
        }
        let r = ReviewRecord(reviewer: reviewer, kind: .undo, shape: data.shape, at: (state.z, state.cursor.y, state.cursor.x),
                             pair: names, target: last.id)
        guard record(r) else { return }
        if id >= 1, id <= q.regions.count { updateConsensus(q.pair, regions: [q.regions[id - 1]]) }
        state = reduce(state, .decisionUndone(regionID: id))
    }

    private func submitFlag() {
        guard let prompt = state.prompt else { return }
        let note = prompt.text.trimmingCharacters(in: .whitespaces)
        let region = state.regionMode ? state.regionQueue?.current : nil
        let r = ReviewRecord(reviewer: reviewer, kind: .flag, shape: data.shape, at: (prompt.at[0], prompt.at[1], prompt.at[2]),
                             pair: state.hasPair ? pairNames(state.pair) : nil, region: region, note: note.isEmpty ? nil : note)
        let saved = record(r)
        state = reduce(state, .promptSubmit)
        if saved { state = reduce(state, .notice("flagged (\(prompt.at.map(String.init).joined(separator: ","))): \(note)")) }
    }

    private func showReviewList() {
        let items = review.items.reversed().map { r -> ReviewListItem in
            let place = "z \(r.at[0]) (\(r.at[1]),\(r.at[2]))"
            let what: String
            switch r.kind {
            case .decision: what = "region \(r.region?.id ?? 0): \(r.take?.rawValue ?? "?") · \(r.pair?.joined(separator: " vs ") ?? "")"
            default: what = "flag: \(r.note ?? "")" + (review.resolved.contains(r.id) ? " (resolved)" : "")
            }
            return ReviewListItem(id: r.id, summary: "\(what) · \(place) · \(r.reviewer)", at: r.at, regionID: r.kind == .decision ? r.region?.id : nil)
        }
        state = reduce(state, .setReviewList(ReviewList(items: Array(items))))
    }

    /// The live consensus source: A with every decided region taken from the chosen source.
    /// Regions are disjoint, so a decision changes only its own region's voxels: `regions` nil
    /// rebuilds from every decision of the log, otherwise only those regions are redone.
    private func updateConsensus(_ pair: SourcePair, regions only: [DisagreementRegion]? = nil) {
        guard let q = state.regionQueue, q.pair == pair, let ia = data.sourceIndex(state.sources[pair.a]),
              let ib = data.sourceIndex(state.sources[pair.b]) else { return }
        let a = data.sources[ia], b = data.sources[ib]
        let decisions = review.decisions(pair: pairNames(pair))
        if data.sourceIndex(Self.consensusName) == nil || only == nil {
            data.setSource(LabelSource(name: Self.consensusName, role: .truth, labels: a.labels, mask: a.mask))
        }
        let redo = only ?? q.regions.filter { decisions[$0.id] != nil }
        var patches: [Consensus.Patch] = []
        for region in redo {
            var source = a
            if let r = decisions[region.id], r.region?.matches(region) == true {
                switch r.take ?? .neither {
                case .a, .neither: source = a
                case .b: source = b
                case .ensemble: if let e = data.ensemble { source = e }
                }
            }
            let masks = [a.mask, b.mask].compactMap { $0?.extract(region.box) }
            let mask = Consensus.regionMask(region, a: a.labels.extract(region.box), b: b.labels.extract(region.box),
                                            masks: masks, rule: regionRule)
            patches.append(.init(box: region.box, mask: mask, labels: source.labels.extract(region.box)))
        }
        data.modifyLabels(of: Self.consensusName) { labels in Consensus.apply(patches, to: &labels, z0: 0) }
        if !state.sources.contains(Self.consensusName) { state = reduce(state, .addSource(Self.consensusName)) }
    }


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
        case .toggleRegionMode:
            state = reduce(state, action)
            if state.regionMode, state.regionQueue?.pair != state.pair { startRegionSearch() }
            return
        case .decide(let take):
            decide(take)
            return
        case .undoDecision:
            undo()
            return
        case .promptSubmit:
            submitFlag()
            return
        case .toggleReviewList:
            if state.reviewList == nil { showReviewList(); return }
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
    func processJobEvents() -> Bool {
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
            case .regions(let pair, let regions):
                guard pair.a < state.sources.count, pair.b < state.sources.count else { break }
                var decided: [Int: ReviewRecord.Take] = [:]
                var stale = 0
                for (id, r) in review.decisions(pair: pairNames(pair)) {
                    if id >= 1, id <= regions.count, r.region?.matches(regions[id - 1]) == true, let take = r.take { decided[id] = take }
                    else { stale += 1 }
                }
                state = reduce(state, .setRegionQueue(RegionQueue(pair: pair, regions: regions, decided: decided)))
                if !decided.isEmpty { updateConsensus(pair) }
                if stale > 0 { state = reduce(state, .notice("\(stale) decisions of the log name regions this study no longer has; not applied")) }
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
    func waitForJob(timeout: TimeInterval = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while job != nil && Date() < deadline {
            if !processJobEvents() { Thread.sleep(forTimeInterval: 0.005) }
        }
        processJobEvents()
    }

    /// Waits until cache writes have landed on disk.
    func flushCache() { cacheWrites.wait() }

    /// Draws the current state into a screen grid: what the terminal shows, and what tests and `--measure-frames` inspect.
    public func frame() -> ScreenGrid { renderer.render(state, data: data) }
}
