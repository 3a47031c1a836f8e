import DenseCellCore

/// Zoom steps `+` and `-` move between (screen pixels per image pixel).
let zoomSteps: [Double] = [1.0 / 16, 1.0 / 12, 1.0 / 8, 1.0 / 6, 1.0 / 4, 1.0 / 3, 1.0 / 2, 2.0 / 3, 1, 1.5, 2, 3, 4, 6, 8, 12, 16]

/// The next state and what the session must do outside it; pure: the same state and action
/// always give the same result.
func reduce(_ state: ViewState, _ action: Action) -> (state: ViewState, effects: [Effect]) {
    var s = state
    var effects: [Effect] = []
    // A notice answers the key that caused it; the next key clears it.
    switch action {
    case .jobProgress, .addSource, .setRanking, .stepRanking, .notice, .status, .resize, .setRegionQueue, .promptInput, .promptBackspace, .setGraphics: break
    default: s.notice = nil
    }
    let lastZ = max(0, s.shape.z - 1)
    // Steps move the cursor along the normal of the plane shown (z for xy planes).
    let index = s.index(s.plane)
    switch action {
    case .nextSlice: s.setIndex(index + 1, s.plane)
    case .previousSlice: s.setIndex(index - 1, s.plane)
    case .pageDown: s.setIndex(index + 10, s.plane)
    case .pageUp: s.setIndex(index - 10, s.plane)
    case .firstSlice: s.setIndex(0, s.plane)
    case .lastSlice: s.setIndex(s.plane.depth(s.shape) - 1, s.plane)
    case .goToSlice(let z): s.z = min(lastZ, max(0, z))
    case .goToPlane(let i): s.setIndex(i, s.plane)
    case .scroll(let d): s.setIndex(index + d, s.plane)

    case .cyclePlane:
        s.plane = s.plane.next
        if !s.threePlanes { s.zoom = nil }
        s.notice = planeNotice(s)
    case .toggleThreePlanes:
        s.threePlanes.toggle()
        s.zoom = nil
        s.notice = s.threePlanes ? "three planes through the cursor; o picks the plane j/k move (now \(s.plane.rawValue))"
                                 : "every pane shows the \(s.plane.rawValue) plane"

    case .pan(let dy, let dx):
        let layout = Layout(s)
        let zoom = layout.zoom(s)
        if s.zoom == nil { s.zoom = zoom; resetCenter(&s) }
        guard let active = layout.activePane(s) else { break }
        let pane = active.pixels, size = s.plane.size(s.shape)
        let stepY = Double(pane.height * s.cellPixels.height) / layout.rowZoom(s, s.plane) / 4
        let stepX = Double(pane.width * s.cellPixels.width) / zoom / 4
        let c = s.center(in: s.plane)
        s.setCenter((min(Double(size.rows), max(0, c.y + Double(dy) * stepY)), min(Double(size.columns), max(0, c.x + Double(dx) * stepX))), in: s.plane)

    case .zoomIn, .zoomOut:
        let layout = Layout(s)
        let current = layout.zoom(s)
        if s.zoom == nil { resetCenter(&s) }
        let next: Double?
        if case .zoomIn = action {
            next = zoomSteps.first { $0 > current * 1.001 }
        } else {
            next = zoomSteps.last { $0 < current * 0.999 }
        }
        if let next {
            // Zooming out past the fitting zoom goes back to fit.
            s.zoom = next <= layout.fitZoom * 1.001 ? nil : next
            if s.zoom == nil && state.zoom == nil { s.notice = "the whole slice is already in view" }
            if case .zoomIn = action, s.zoom != nil, state.zoom == nil {
                // From fit, zoom towards the cursor: that is what the reader is looking at.
                s.center = (Double(s.z) + 0.5, Double(s.cursor.y) + 0.5, Double(s.cursor.x) + 0.5)
            }
        } else {
            s.notice = action == .zoomIn ? "already at the largest zoom" : "already at the smallest zoom"
        }
    case .zoomFit: s.zoom = nil

    case .cyclePair:
        guard s.sources.count >= 2 else { s.notice = "only one label source: nothing to compare"; break }
        let pairs = allPairs(s.sources.count)
        let i = pairs.firstIndex(of: s.pair) ?? -1
        s.pair = pairs[(i + 1) % pairs.count]
        s.ranking = nil
        s.rankPosition = nil
        s.regionMode = false
        s.notice = "comparing \(s.sources[s.pair.a]) (A) with \(s.sources[s.pair.b]) (B)"

    case .toggleClass(let c):
        guard c > 0, c < s.classNames.count else { s.notice = "no class \(c) in this schema"; break }
        if s.hiddenClasses.contains(c) { s.hiddenClasses.remove(c) } else { s.hiddenClasses.insert(c) }
        s.notice = "\(s.classNames[c]) \(s.hiddenClasses.contains(c) ? "hidden" : "shown")"

    case .cycleAlpha:
        s.alphaIndex = (s.alphaIndex + 1) % ViewState.alphas.count
        s.notice = "overlay opacity \(Int((s.alpha * 100).rounded())) %"

    case .toggleDisagreementMap:
        guard s.hasPair else { s.notice = "a disagreement map needs two label sources"; break }
        s.disagreementMap.toggle()

    case .cycleMetricsTab:
        s.metricsTab = MetricsTab(rawValue: (s.metricsTab.rawValue + 1) % MetricsTab.allCases.count)!
    case .toggleMetricsScope:
        s.metricsScope = s.metricsScope == .slice ? .volume : .slice

    case .nextDisagreement where s.regionMode, .previousDisagreement where s.regionMode:
        stepRegionQueue(&s, forward: action == .nextDisagreement)

    case .nextDisagreement, .previousDisagreement:
        guard s.hasPair else { s.notice = "disagreement ranking needs two label sources"; break }
        effects.append(.rankSlices(forward: action == .nextDisagreement))
    case .stepRanking(let forward):
        guard let ranking = s.ranking, ranking.pair == s.pair else { s.notice = "disagreement ranking not ready"; break }
        guard !ranking.order.isEmpty else {
            s.notice = "\(s.sources[s.pair.a]) and \(s.sources[s.pair.b]) agree on every slice"; break
        }
        // Steps through the ranking from where the last n/N left off; the first n goes to the worst slice.
        let rank: Int
        if let r = s.rankPosition, r < ranking.order.count {
            rank = forward ? r + 1 : r - 1
        } else {
            rank = forward ? 0 : ranking.order.count - 1
        }
        guard rank >= 0, rank < ranking.order.count else {
            s.notice = forward ? "that was the last slice with any disagreement (N goes back)" : "back at the most disagreeing slice"
            break
        }
        s.rankPosition = rank
        s.z = ranking.order[rank]
        s.notice = "rank \(rank + 1)/\(ranking.order.count) by disagreement: \(ranking.counts[s.z]) voxels differ on slice \(s.z)"
    case .setRanking(let r): s.ranking = r

    // The session starts jobs and writes figures; the state changes when they report.
    case .runInference(let kind): effects.append(.startInference(kind))
    case .exportView: effects.append(.exportView)
    case .cancelJob:
        guard s.job != nil else { s.notice = "no job running"; break }
        effects.append(.cancelInference)
        s.job?.cancelling = true
        s.notice = "cancelling…"

    case .toggleRegionMode:
        guard s.hasPair else { s.notice = "the review queue needs two label sources"; break }
        s.regionMode.toggle()
        if s.regionMode {
            if let q = s.regionQueue, q.pair == s.pair {
                s.notice = "review: \(q.regions.count) regions of \(s.sources[s.pair.a]) vs \(s.sources[s.pair.b]), \(q.decided.count) decided · n next"
            } else {
                s.notice = "finding the disagreement regions of \(s.sources[s.pair.a]) vs \(s.sources[s.pair.b])…"
            }
            if s.regionQueue?.pair != s.pair { effects.append(.findRegions(s.pair)) }
        } else {
            s.notice = "n/N walk slices ranked by disagreement again"
        }
    case .setRegionQueue(let q):
        s.regionQueue = q
        if s.regionMode && q.pair == s.pair {
            s.notice = "review: \(q.regions.count) regions of \(s.sources[q.pair.a]) vs \(s.sources[q.pair.b]), \(q.decided.count) decided · n next"
        }
    case .decide(let take):
        // The session records the decision and answers with decisionRecorded.
        if !s.regionMode || s.regionQueue?.current == nil { s.notice = "no region to decide: r, then n goes to the largest" }
        else { effects.append(.recordDecision(take)) }
    case .decisionRecorded(let id, let take, let summary):
        guard var q = s.regionQueue else { break }
        q.decided[id] = take
        s.regionQueue = q
        if let next = q.nextUndecided(after: q.position) {
            focus(&s, on: next)
            s.notice = summary + " · next undecided: region \(next + 1)"
        } else {
            s.notice = summary + " · every region is decided"
        }
    case .undoDecision:
        effects.append(.undoDecision)
    case .decisionUndone(let id):
        guard var q = s.regionQueue else { break }
        q.decided[id] = nil
        s.regionQueue = q
        if id >= 1 && id <= q.regions.count && s.regionMode { focus(&s, on: id - 1) }
        s.notice = "undone: region \(id) is undecided again"
    case .startFlag:
        s.prompt = NotePrompt(at: [s.z, s.cursor.y, s.cursor.x])
    case .promptInput(let c):
        if c.isNewline { break }
        if (s.prompt?.text.count ?? 0) < 400 { s.prompt?.text.append(c) }
    case .promptBackspace:
        if s.prompt?.text.isEmpty == false { s.prompt?.text.removeLast() }
    case .promptSubmit:
        if let prompt = s.prompt { effects.append(.recordFlag(prompt)) }
        s.prompt = nil
    case .promptCancel:
        s.notice = "flag cancelled"
        s.prompt = nil
    case .toggleReviewList:
        if s.reviewList != nil { s.reviewList = nil } else { effects.append(.showReviewList) }
    case .setReviewList(let list):
        s.reviewList = list
        if list?.items.isEmpty == true { s.reviewList = nil; s.notice = "no review items yet (f flags, a/b/E/x decide)" }
    case .reviewListMove(let d):
        if var l = s.reviewList, !l.items.isEmpty {
            l.selection = min(l.items.count - 1, max(0, l.selection + d))
            s.reviewList = l
        }
    case .reviewListJump:
        guard let l = s.reviewList, l.selection < l.items.count else { break }
        let item = l.items[l.selection]
        s.reviewList = nil
        if let id = item.regionID, let q = s.regionQueue, id >= 1, id <= q.regions.count, q.regions[id - 1].id == id {
            s.regionMode = true
            focus(&s, on: id - 1)
        } else if item.at.count == 3 {
            s.z = min(max(0, item.at[0]), s.shape.z - 1)
            s.cursor = PixelPoint(y: min(max(0, item.at[1]), s.shape.y - 1), x: min(max(0, item.at[2]), s.shape.x - 1))
            s.center = (Double(s.z) + 0.5, Double(s.cursor.y) + 0.5, Double(s.cursor.x) + 0.5)
        }
        s.notice = item.summary

    case .toggleHelp: s.helpVisible.toggle()
    case .quit:
        s.quitRequested = true
        if s.job != nil { effects.append(.cancelInference) }
    case .resize(let cols, let rows): s.terminal = (max(1, cols), max(1, rows))
    case .setGraphics(let mode, let cell):
        s.graphics = mode
        s.cellPixels = mode.isPixels ? CellSize(width: max(1, cell.width), height: max(1, cell.height)) : .halfBlock

    case .click(let row, let col):
        if s.helpVisible { s.helpVisible = false; break }
        if let hit = Layout(s).planePoint(s, row: row, col: col) {
            s.setCursor(hit.point, in: hit.axis)
            // With three planes, the plane clicked in is the one j/k move next.
            if s.threePlanes { s.plane = hit.axis }
        }

    case .addSource(let name):
        if !s.sources.contains(name) {
            s.sources.append(name)
            if s.sources.count == 2 { s.pair = SourcePair(a: 0, b: 1) }
        }
        s.ranking = nil
    case .jobStarted(let job): s.job = job
    case .jobProgress(let done, let total, let elapsed):
        s.job?.voxelsDone = done; s.job?.voxelsTotal = total; s.job?.elapsedSeconds = elapsed
        s.ranking = nil
    case .jobEnded(let message):
        s.job = nil
        s.ranking = nil
        s.notice = message
    case .notice(let text): s.notice = text
    case .status(let text): s.status = text
    }
    return (s, effects)
}

/// Every unordered pair (a < b) of `n` sources, in reading order.
func allPairs(_ n: Int) -> [SourcePair] {
    var pairs: [SourcePair] = []
    for a in 0..<n { for b in (a + 1)..<max(a + 1, n) { pairs.append(SourcePair(a: a, b: b)) } }
    return pairs
}

/// Moves to the next or previous region of the queue (the first `n` goes to the largest).
func stepRegionQueue(_ s: inout ViewState, forward: Bool) {
    guard let q = s.regionQueue, q.pair == s.pair else { s.notice = "disagreement regions not ready"; return }
    guard !q.regions.isEmpty else {
        s.notice = "\(s.sources[s.pair.a]) and \(s.sources[s.pair.b]) have no disagreement regions"; return
    }
    let next: Int
    if let p = q.position { next = forward ? p + 1 : p - 1 } else { next = forward ? 0 : q.regions.count - 1 }
    guard next >= 0, next < q.regions.count else {
        s.notice = forward ? "that was the last region (N goes back)" : "back at the largest region"; return
    }
    focus(&s, on: next)
}

/// Centres the panes on a region: its middle slice, zoomed so the region fills about half a
/// pane, the cursor on its centroid.
func focus(_ s: inout ViewState, on index: Int) {
    guard var q = s.regionQueue, index >= 0, index < q.regions.count else { return }
    q.position = index
    s.regionQueue = q
    let r = q.regions[index]
    s.z = min(max(r.box.z.lowerBound, Int(r.centroid.z.rounded())), r.box.z.upperBound - 1)
    let cy = min(max(r.box.y.lowerBound, Int(r.centroid.y)), r.box.y.upperBound - 1)
    let cx = min(max(r.box.x.lowerBound, Int(r.centroid.x)), r.box.x.upperBound - 1)
    s.cursor = PixelPoint(y: cy, x: cx)
    let layout = Layout(s)
    guard let pane = layout.activePane(s) else { return }
    let size = layout.pixelSize(s, pane: pane)
    // The region's extent in the active plane, rows at the drawn aspect.
    let extent = s.plane.ranges(r.box)
    let stretch = s.plane.rowStretch(resolution: s.resolution)
    let want = min(Double(size.width) * 0.5 / Double(max(8, extent.columns.count)),
                   Double(size.height) * 0.5 / (Double(max(8, extent.rows.count)) * stretch))
    let step = zoomSteps.last { $0 <= min(want, 8) } ?? zoomSteps[0]
    if step <= layout.fitZoom * 1.001 {
        s.zoom = nil
    } else {
        s.zoom = step
        s.center = (Double(r.box.z.lowerBound + r.box.z.upperBound) / 2, Double(r.box.y.lowerBound + r.box.y.upperBound) / 2,
                    Double(r.box.x.lowerBound + r.box.x.upperBound) / 2)
    }
}

/// Centres the panes on the middle of the volume (what a fitting zoom shows).
func resetCenter(_ s: inout ViewState) {
    s.center = (Double(s.shape.z) / 2, Double(s.shape.y) / 2, Double(s.shape.x) / 2)
}

/// The footer's word after `o`: the plane shown, where it cuts, and the aspect it is drawn at.
func planeNotice(_ s: ViewState) -> String {
    let stretch = s.plane.rowStretch(resolution: s.resolution)
    let aspect = s.plane == .xy ? "" : stretch == 1 ? (s.resolution == nil ? ", square voxels (no resolution recorded)" : "")
        : String(format: ", z drawn %.3g× (voxels %g/%g nm)", stretch, s.resolution![0], s.resolution![s.plane.columnAxis])
    return "\(s.plane.rawValue) plane at \(s.plane.normalName) \(s.index(s.plane))\(aspect) · j/k step along \(s.plane.normalName)"
}
