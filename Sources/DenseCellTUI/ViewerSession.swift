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
    private let studyPath: String
    private let resolutionNM: [Double]?
    private let exportDirectory: String
    private let events = JobEventQueue()
    private var job: InferenceJob?
    private let exports = DispatchGroup()
    private var regionSearches = 0
    private var rankingComplete = false
    /// Consensus patches being made off the key thread, and the consensus they belong to.
    private var consensusJobs = 0
    private var consensusGeneration = 0
    private var review = ReviewState()
    private var reviewPath: String?
    private var reviewLog: ReviewLog?
    private var reviewer = "unknown"
    /// Regions smaller than this are left out of the queue (as `densecell regions` does by default).
    static let regionMinVoxels = 20
    static let consensusName = ViewerData.consensusName

    /// A session over a study held in memory (small studies built in code).
    /// - Parameters: as `init(slices:fileName:provider:cachePath:cacheBytes:studyPath:exportDirectory:withoutModels:)`.
    /// - Throws: `IOError` when no viewer cache can be made.
    public convenience init(study: Study, fileName: String, provider: SegmentationProvider?, cachePath: String?,
                            cacheBytes: Int = 512 << 20, studyPath: String? = nil, exportDirectory: String = ".",
                            withoutModels: String = ViewerSession.noModels) throws(IOError) {
        let image = MemoryVolume(.float32(study.image), name: fileName + ":/image")
        let sources = study.labels.map { s in
            (name: s.name, role: s.role, labels: MemoryVolume(.uint8(s.labels), name: "\(fileName):/labels/\(s.name)") as VolumeSource,
             mask: s.mask.map { MemoryVolume(.uint8($0), name: "\(fileName):/masks/\(s.name)") as VolumeSource })
        }
        try self.init(image: image, sources: sources, schema: study.schema, resolutionNM: study.resolutionNM, fileName: fileName,
                      provider: provider, cachePath: cachePath, cacheBytes: cacheBytes, studyPath: studyPath,
                      exportDirectory: exportDirectory, withoutModels: withoutModels)
    }

    /// A session over a study on disk, read on demand.
    /// - Parameters:
    ///   - slices: the study's readers (image, sources, masks).
    ///   - fileName: shown in the header.
    ///   - provider: the ensemble for `i`/`I`, or nil when no models were given.
    ///   - cachePath: the viewer cache file, or nil for a temporary one.
    ///   - cacheBytes: the bound of decoded slices held (`--cache-mb`).
    ///   - exportDirectory: where `e` writes PNG figures.
    ///   - withoutModels: the footer's remark when there is no provider.
    /// - Throws: `IOError` when the image cannot be read or no viewer cache can be made.
    public convenience init(slices: OpenedStudy, fileName: String, provider: SegmentationProvider?, cachePath: String?,
                            cacheBytes: Int = 512 << 20, studyPath: String? = nil, exportDirectory: String = ".",
                            withoutModels: String = ViewerSession.noModels) throws(IOError) {
        try self.init(image: slices.image!, sources: slices.labels.map { ($0.name, $0.role, $0.labels, $0.mask) }, schema: slices.schema,
                      resolutionNM: slices.resolutionNM, fileName: fileName, provider: provider, cachePath: cachePath,
                      cacheBytes: cacheBytes, studyPath: studyPath, exportDirectory: exportDirectory, withoutModels: withoutModels)
    }

    public static let noModels = "no models loaded: ensemble inference is off (--models DIR to enable)"

    init(image: VolumeSource, sources list: [(name: String, role: SourceRole, labels: VolumeSource, mask: VolumeSource?)],
         schema: LabelSchema, resolutionNM: [Double]?, fileName: String, provider: SegmentationProvider?, cachePath: String?,
         cacheBytes: Int, studyPath: String?, exportDirectory: String, withoutModels: String) throws(IOError) {
        self.studyPath = studyPath ?? fileName
        self.exportDirectory = exportDirectory
        self.resolutionNM = resolutionNM
        // The reference first: truth, then annotators, then algorithms (stable within a role).
        let rank: [SourceRole: Int] = [.truth: 0, .annotator: 1, .algorithm: 2]
        let ordered = list.enumerated().sorted { (rank[$0.element.role]!, $0.offset) < (rank[$1.element.role]!, $1.offset) }.map(\.element)
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
        data = try ViewerData(image: image, sources: ordered, schema: schema, cacheFile: cacheFile, cacheBytes: cacheBytes,
                              ensembleKey: provider?.cacheKey, changed: { events.post(.dataChanged) },
                              noticed: { events.post(.notice($0)) })
        self.provider = provider
        state = ViewState(fileName: fileName, shape: image.shape, classNames: schema.names, sources: data.sources.map(\.name))
        if let cacheRemark { state = reduce(state, .notice(cacheRemark)) }
        if data.sourceIndex(ViewerData.ensembleName) != nil {
            let done = data.ensemble.voxelsDone
            state = reduce(state, .notice("ensemble results from the cache: \(done * 100 / max(1, image.shape.count))% of the volume"))
        }
        state = reduce(state, .status(provider.map { "ensemble: \($0.summary) (i/I to run)" } ?? withoutModels))
    }

    /// Stops background work and closes the viewer cache (a temporary one is removed).
    public func close() {
        job?.cancel()
        data.close()
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

    /// Finds the regions of the compared pair off the key-handling thread, in one streaming pass
    /// over the two sources.
    private func startRegionSearch() {
        guard state.hasPair, let ia = data.sourceIndex(state.sources[state.pair.a]),
              let ib = data.sourceIndex(state.sources[state.pair.b]) else { return }
        let a = data.sources[ia], b = data.sources[ib], pair = state.pair, rule = regionRule
        let readers = [a.labels, b.labels].map(data.reader), masks = [a.mask, b.mask].compactMap { $0 }.map(data.reader)
        let events = self.events, shape = data.shape, classes = data.schema.count
        regionSearches += 1
        state = reduce(state, .notice("finding the regions where \(a.name) and \(b.name) disagree…"))
        DispatchQueue.global(qos: .userInitiated).async {
            do {
                var finder = DisagreementRegionFinder(shape: shape, rule: rule, minVoxels: ViewerSession.regionMinVoxels)
                let pass = try SlabPass(readers.map { ($0, .labels) } + masks.map { ($0, .mask) }, classCount: classes,
                                        extraBytesPerVoxel: DisagreementRegionFinder.bytesPerVoxel)
                try pass.run { slab in
                    finder.add(a: slab.labels(readers[0]), b: slab.labels(readers[1]), masks: slab.masks(masks), z0: slab.z.lowerBound)
                }
                events.post(.regions(pair, finder.finish()))
            } catch {
                events.post(.notice("regions not found: \(error)"))
                events.post(.regions(pair, []))
            }
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
    /// rebuilds from every decision of the log, otherwise only those regions are redone. The
    /// regions' boxes are read and their patches made off the key thread.
    private func updateConsensus(_ pair: SourcePair, regions only: [DisagreementRegion]? = nil) {
        guard let q = state.regionQueue, q.pair == pair, let ia = data.sourceIndex(state.sources[pair.a]),
              let ib = data.sourceIndex(state.sources[pair.b]) else { return }
        let a = data.sources[ia], b = data.sources[ib]
        let decisions = review.decisions(pair: pairNames(pair))
        if data.sourceIndex(Self.consensusName) == nil || only == nil {
            data.resetConsensus(base: ia)
            consensusGeneration += 1
        }
        if !state.sources.contains(Self.consensusName) { state = reduce(state, .addSource(Self.consensusName)) }
        let redo = only ?? q.regions.filter { decisions[$0.id] != nil }
        // What each region takes: nil keeps A's labels there.
        var work: [(DisagreementRegion, VolumeSource?)] = []
        for region in redo {
            var chosen: VolumeSource? = nil
            if let r = decisions[region.id], r.region?.matches(region) == true {
                switch r.take ?? .neither {
                case .a, .neither: chosen = nil
                case .b: chosen = data.reader(b.labels)
                case .ensemble: chosen = data.sourceIndex(ViewerData.ensembleName).map { data.reader(data.sources[$0].labels) }
                }
            }
            work.append((region, chosen))
        }
        let readerA = data.reader(a.labels), readerB = data.reader(b.labels)
        let masks = [a.mask, b.mask].compactMap { $0 }.map(data.reader)
        let rule = regionRule, classes = data.schema.count, events = self.events, generation = consensusGeneration, todo = work
        consensusJobs += 1
        DispatchQueue.global(qos: .userInitiated).async {
            var patches: [(Int, Consensus.Patch?, Box3)] = []
            do {
                for (region, chosen) in todo {
                    guard let chosen else { patches.append((region.id, nil, region.box)); continue }
                    let mask = Consensus.regionMask(region, a: try readerA.readLabels(region.box, classCount: classes),
                                                    b: try readerB.readLabels(region.box, classCount: classes),
                                                    masks: try masks.map { try $0.readMask(region.box) }, rule: rule)
                    patches.append((region.id, .init(box: region.box, mask: mask, labels: try chosen.readLabels(region.box, classCount: classes)),
                                    region.box))
                }
                events.post(.consensusPatches(generation: generation, patches))
            } catch {
                events.post(.notice("consensus not updated: \(error)"))
                events.post(.consensusPatches(generation: generation, []))
            }
        }
    }

    /// Applies an action, running what it asks for outside the pure reducer first.
    public func send(_ action: Action) {
        switch action {
        case .nextDisagreement, .previousDisagreement:
            if state.hasPair, let a = data.sourceIndex(state.sources[state.pair.a]), let b = data.sourceIndex(state.sources[state.pair.b]),
               state.ranking?.pair != state.pair || state.ranking?.revision != data.revision || !rankingComplete {
                var (r, complete) = data.ranking(SourcePair(a: a, b: b))
                r.pair = state.pair
                rankingComplete = complete
                state = reduce(state, .setRanking(r))
                if !complete, let p = data.passProgress {
                    state = reduce(state, action)
                    state = reduce(state, .notice("ranking from the \(p.done) of \(p.total) slices counted so far"))
                    return
                }
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
        let job = InferenceJob(kind: kind, roi: roi, image: data.image, normalization: data.normalization.map { ($0.mean, $0.std) },
                               store: data.ensemble, provider: provider, events: events)
        self.job = job
        state = reduce(state, .jobStarted(JobStatus(kind: kind, voxelsTotal: roi.shape.count)))
        job.start()
    }

    /// Writes the panes on screen (visible region, opacity, hidden classes) as a PNG figure, read
    /// and rendered off the key thread at full resolution.
    private func exportView() {
        let layout = Layout(state)
        guard let region = layout.visibleRegion(state) else { state = reduce(state, .notice("nothing visible to export")); return }
        let panes = layout.panes.map { $0.kind.figurePane(state) }
        let options = FigureOptions(alpha: state.alpha, roiY: region.y, roiX: region.x, hiddenClasses: state.hiddenClasses,
                                    grayWindow: data.displayRange)
        let z = state.z, readers = data.sourceReaders, depth = data.shape.z, studyPath = self.studyPath
        let directory = exportDirectory, events = self.events
        let resolution = resolutionNM
        state = reduce(state, .notice("exporting z \(z)…"))
        DispatchQueue.global(qos: .userInitiated).async(group: exports) {
            do {
                var slice = try readers.sliceStudy(z: z)
                slice.resolutionNM = resolution
                var o = options
                o.heading = FigureExport.defaultHeading(studyPath: studyPath, study: slice, z: z, options: o, sliceCount: depth)
                let path = try FigureExport.export(study: slice, studyPath: studyPath, z: z, panes: panes, options: o,
                                                   directory: directory, firstSlice: z, sliceCount: depth)
                events.post(.notice("wrote \(path)"))
            } catch {
                events.post(.notice("export failed: \(error)"))
            }
        }
    }

    /// Waits until figure exports have been written (tests, quitting).
    func flushExports() { exports.wait() }

    /// Applies what background jobs reported; returns whether anything changed.
    @discardableResult
    public func processJobEvents() -> Bool {
        let pending = events.drain()
        guard !pending.isEmpty else { return false }
        for event in pending {
            switch event {
            case .progress(let done, let total, let tile):
                if let tile { applyTile(tile) }
                let elapsed = job.map { Date().timeIntervalSince($0.started) } ?? 0
                state = reduce(state, .jobProgress(voxelsDone: done, voxelsTotal: total, elapsedSeconds: elapsed))
            case .finished(let roi, let cancelled, let error):
                let elapsed = job.map { Date().timeIntervalSince($0.started) } ?? 0
                job = nil
                let message: String
                if let error { message = "ensemble failed: \(error)" }
                else if cancelled { message = "ensemble cancelled; finished tiles kept" }
                else { message = String(format: "ensemble done: %@ voxels in %.1f s", "\(roi.shape.count)", elapsed) }
                state = reduce(state, .jobEnded(message: message))
            case .notice(let text):
                state = reduce(state, .notice(text))
            case .dataChanged:
                data.passReported()
            case .consensusPatches(let generation, let patches):
                consensusJobs -= 1
                guard generation == consensusGeneration else { break }
                for (id, patch, box) in patches { data.patchConsensus(id, patch, box: box) }
            case .regions(let pair, let regions):
                regionSearches -= 1
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

    private func applyTile(_ box: Box3) {
        if data.ensembleWritten(box) || !state.sources.contains(ViewerData.ensembleName) {
            state = reduce(state, .addSource(ViewerData.ensembleName))
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

    /// Waits until every plane asked for is read, the background pass has counted everything,
    /// no job or region search runs, and applies what they reported (tests; `--measure-frames`).
    public func settle(timeout: TimeInterval = 30) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            _ = frame()
            processJobEvents()
            if data.planesIdle && data.passIdle && job == nil && regionSearches == 0 && consensusJobs == 0 && events.isEmpty {
                _ = frame()
                if data.planesIdle { break }
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        processJobEvents()
        data.passReported()
    }

    /// Draws the current state into a screen grid: what the terminal shows, and what tests and `--measure-frames` inspect.
    public func frame() -> ScreenGrid {
        let grid = renderer.render(state, data: data)
        // Every pane's planes, also those an image protocol draws instead of the grid.
        let layout = Layout(state)
        for pane in layout.panes {
            _ = data.planesAvailable(z: state.z, level: data.level(forZoom: layout.zoom(state), kind: pane.kind),
                                     names: pane.kind.figurePane(state).sourceNames)
        }
        data.requestPlanes(around: state.z)
        return grid
    }
}
