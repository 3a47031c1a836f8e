import DenseCellCore

/// The metrics pane: a tab line, then the confusion matrix of the pair, the pairwise MIoU
/// matrices, per-class IoU against the reference, or organelle volume fractions — for the
/// current slice or the whole volume.
struct MetricsPane {
    let state: ViewState
    let data: FrameData
    let rect: Rect

    var scopeZ: Int? { state.metricsScope == .slice ? state.z : nil }

    func draw(_ grid: inout ScreenGrid) {
        guard rect.height > 0 else { return }
        drawTabs(&grid)
        let body = Rect(row: rect.row + 1, col: rect.col, width: rect.width, height: rect.height - 1)
        guard body.height > 0 else { return }
        guard state.sources.count >= 1 else {
            grid.put(" no label sources: the study has only an image (add some with --labels NAME=REF)", row: body.row, col: 0, fg: .dim)
            return
        }
        if let companion {
            // Wide terminals: the chosen table and the next one side by side.
            let half = body.width / 2
            draw(state.metricsTab, in: Rect(row: body.row, col: body.col, width: half - 2, height: body.height), &grid)
            for y in body.row..<(body.row + body.height) { grid[y, body.col + half - 1] = Cell("│", fg: .dim) }
            draw(companion, in: Rect(row: body.row, col: body.col + half + 1, width: body.width - half - 1, height: body.height), &grid)
        } else if !tablesBelow.isEmpty {
            // A tall pane (beside the images, or below slices that leave rows free): the next
            // tables underneath the chosen one, each after a rule.
            var row = body.row
            for (i, tab) in ([state.metricsTab] + tablesBelow).enumerated() {
                if i > 0 {
                    grid.put(String(repeating: "─", count: body.width), row: row, col: body.col, fg: .dim)
                    row += 1
                }
                let isLast = i == tablesBelow.count
                let height = isLast ? body.row + body.height - row : rowsNeeded(tab, width: body.width)
                draw(tab, in: Rect(row: row, col: body.col, width: body.width, height: height), &grid)
                row += height
            }
        } else {
            draw(state.metricsTab, in: body, &grid)
        }
    }

    /// Rows a table needs below the tab line at `width` columns.
    func rowsNeeded(_ tab: MetricsTab, width: Int) -> Int {
        let classes = state.classNames.count, sources = state.sources.count
        switch tab {
        case .confusion, .classIoU: return classes + 2
        case .pairwise:
            // Side by side when both matrices fit in half the width each (as drawPairwise decides).
            let half = (width - 2) / 2
            let nameWidth = min(16, max(9, half / (sources + 2)))
            let cellWidth = max(6, min(12, (half - nameWidth) / max(1, sources)))
            return nameWidth + sources * cellWidth <= half ? sources + 1 : 2 * (sources + 1)
        case .fractions: return max(1, classes - 2) + 1
        case .small: return 1
        }
    }

    /// Width from which a second table is shown beside the chosen one.
    static let companionWidth = 170

    /// The table shown beside the chosen one on wide terminals: the next tab.
    var companion: MetricsTab? {
        guard rect.width >= Self.companionWidth, state.metricsTab != .small else { return nil }
        return MetricsTab(rawValue: (state.metricsTab.rawValue + 1) % MetricsTab.small.rawValue)
    }

    /// Tables shown below the chosen one when the pane has the rows: the next tabs in order.
    var tablesBelow: [MetricsTab] {
        guard companion == nil, state.metricsTab != .small else { return [] }
        var left = rect.height - 1 - rowsNeeded(state.metricsTab, width: rect.width)
        var tabs: [MetricsTab] = []
        var tab = state.metricsTab
        for _ in 1..<MetricsTab.small.rawValue {
            tab = MetricsTab(rawValue: (tab.rawValue + 1) % MetricsTab.small.rawValue)!
            let need = rowsNeeded(tab, width: rect.width) + 1
            guard left >= need else { break }
            tabs.append(tab); left -= need
        }
        return tabs
    }

    private func draw(_ tab: MetricsTab, in body: Rect, _ grid: inout ScreenGrid) {
        switch tab {
        case .confusion: drawConfusion(body, &grid)
        case .pairwise: drawPairwise(body, &grid)
        case .classIoU: drawClassIoU(body, &grid)
        case .fractions: drawFractions(body, &grid)
        case .small: drawSummary(body, &grid)
        }
    }

    private func drawTabs(_ grid: inout ScreenGrid) {
        var col = rect.col
        grid.fill(Rect(row: rect.row, col: rect.col, width: rect.width, height: 1), with: Cell(" ", bg: .barBackground))
        let alsoShown = Set([companion].compactMap { $0 } + tablesBelow)
        for tab in MetricsTab.allCases {
            let active = tab == state.metricsTab
            col = grid.put(" \(tab.title) ", row: rect.row, col: col, fg: active ? TermColor(0, 0, 0) : (alsoShown.contains(tab) ? .accent : .white),
                           bg: active ? .accent : .barBackground, attrs: active ? .bold : (alsoShown.contains(tab) ? .underline : []))
            col = grid.put(" ", row: rect.row, col: col, bg: .barBackground)
        }
        let scope = state.metricsScope == .slice ? "slice \(state.z)" : "volume"
        let right = "m tab · v \(state.metricsScope == .slice ? "volume" : "slice") · \(scope) "
        let start = rect.col + rect.width - right.count
        if start > col {
            grid.put(right, row: rect.row, col: start, fg: .white, bg: .barBackground)
            grid.put(scope, row: rect.row, col: start + right.count - scope.count - 1, fg: .warning, bg: .barBackground, attrs: .bold)
        }
    }

    /// One line: the pair's MIoU, for when the images need the rows.
    private func drawSummary(_ r: Rect, _ grid: inout ScreenGrid) {
        guard state.hasPair, let a = dataIndex(state.pair.a), let b = dataIndex(state.pair.b) else {
            grid.put(" one label source: nothing to compare", row: r.row, col: r.col, fg: .dim); return
        }
        guard let m = data.statistics.confusion(a, b, z: scopeZ) else { drawCounting(r, &grid); return }
        let n = data.schema.count
        let text = " \(name(state.pair.a)) vs \(name(state.pair.b)): MIoU(org) \(Format.ratio(m.miou(over: data.schema.organelles)))"
            + " · MIoU(all) \(Format.ratio(m.miou(over: Array(0..<n)))) · \(m.total) voxels"
        grid.put(text, row: r.row, col: r.col, fg: .accent)
    }

    /// What stands in for a table whose counts the background pass has not finished.
    private func drawCounting(_ r: Rect, _ grid: inout ScreenGrid) {
        guard r.height > 0 else { return }
        let text: String
        if let failure = data.statistics.passFailure { text = " not counted: \(failure)" }
        else if let z = scopeZ { text = " counting slice \(z)…" } else {
            let p = data.statistics.passProgress ?? (done: data.shape.z, total: data.shape.z)
            text = " counting the volume: \(p.done) of \(p.total) slices (\(p.done * 100 / max(1, p.total))%) · v shows this slice"
        }
        grid.put(String(text.prefix(r.width)), row: r.row, col: r.col, fg: .dim)
    }

    private func classColor(_ c: Int) -> TermColor {
        guard c < data.schema.count, let color = data.schema.classes[c].color else { return .dim }
        return state.hiddenClasses.contains(c) ? .dim : TermColor(color)
    }

    private func name(_ i: Int) -> String { state.sources[i] }

    private func dataIndex(_ i: Int) -> Int? { data.sourceIndex(state.sources[i]) }

    /// Rows: reference A (truth); columns: B.
    private func drawConfusion(_ r: Rect, _ grid: inout ScreenGrid) {
        guard state.hasPair, let a = dataIndex(state.pair.a), let b = dataIndex(state.pair.b) else {
            grid.put(" one label source: nothing to compare", row: r.row, col: r.col, fg: .dim); return
        }
        guard let m = data.statistics.confusion(a, b, z: scopeZ) else { drawCounting(r, &grid); return }
        let n = data.schema.count
        let nameWidth = min(20, max(8, r.width / 5))
        let colWidth = max(5, min(11, (r.width - nameWidth - 1) / n))
        let useShort = data.schema.names.contains { $0.count > colWidth - 1 }
        var col = grid.put(Format.pad("A↓ B→", nameWidth), row: r.row, col: r.col, fg: .accent)
        for p in 0..<n {
            let label = useShort ? Format.shortName(data.schema.classes[p].name) : data.schema.classes[p].name
            col = grid.put(Format.pad(label, colWidth, right: true), row: r.row, col: col, fg: classColor(p), attrs: .bold)
        }
        let rowsShown = min(n, r.height - 1)
        for t in 0..<rowsShown {
            let y = r.row + 1 + t
            col = grid.put(Format.pad(data.schema.classes[t].name, nameWidth), row: y, col: r.col, fg: classColor(t))
            for p in 0..<n {
                let v = m[t, p]
                let text = Format.pad(Format.count(v, width: colWidth - 1), colWidth, right: true)
                col = grid.put(text, row: y, col: col, fg: t == p ? .good : (v == 0 ? .dim : .terminalDefault),
                               attrs: t == p ? .bold : [])
            }
        }
        // Summary on the last row when there is room beside or below.
        let summary = " \(m.total) voxels · MIoU(org) \(Format.ratio(m.miou(over: data.schema.organelles))) · MIoU(all) \(Format.ratio(m.miou(over: Array(0..<n))))"
        if r.height - 1 > n { grid.put(summary, row: r.row + 1 + n, col: r.col, fg: .accent) }
    }

    /// Two N×N matrices side by side (one above the other when narrow).
    private func drawPairwise(_ r: Rect, _ grid: inout ScreenGrid) {
        let indices = state.sources.indices.compactMap { dataIndex($0) }
        guard let p = data.statistics.pairwise(z: scopeZ) else { drawCounting(r, &grid); return }
        let n = indices.count
        let half = (r.width - 2) / 2
        let nameWidth = min(16, max(9, half / (n + 2)))   // "MIoU(org)" fits
        let cellWidth = max(6, min(12, (half - nameWidth) / max(1, n)))
        func matrix(_ title: String, _ values: [[Double?]], at col0: Int, row0: Int) {
            var col = grid.put(Format.pad(title, nameWidth), row: row0, col: col0, fg: .accent, attrs: .bold)
            for j in 0..<n { col = grid.put(Format.header(p.names[indices[j]], cellWidth), row: row0, col: col, attrs: .bold) }
            for i in 0..<n where row0 + 1 + i < r.row + r.height {
                col = grid.put(Format.pad(Format.abbreviate(p.names[indices[i]], nameWidth - 1), nameWidth), row: row0 + 1 + i, col: col0, attrs: .bold)
                for j in 0..<n {
                    let v = values[indices[i]][indices[j]]
                    let selected = (i == state.pair.a && j == state.pair.b) || (i == state.pair.b && j == state.pair.a)
                    col = grid.put(Format.pad(Format.ratio(v), cellWidth, right: true), row: row0 + 1 + i, col: col,
                                   fg: i == j ? .dim : (selected ? .warning : .terminalDefault), attrs: selected ? .bold : [])
                }
            }
        }
        let fitsSideBySide = nameWidth + n * cellWidth <= half
        if fitsSideBySide {
            matrix("MIoU(org)", p.miouOrg, at: r.col, row0: r.row)
            matrix("MIoU(all)", p.miouAll, at: r.col + half + 2, row0: r.row)
        } else {
            matrix("MIoU(org)", p.miouOrg, at: r.col, row0: r.row)
            matrix("MIoU(all)", p.miouAll, at: r.col, row0: r.row + n + 1)
        }
    }

    /// IoU of every class for each other source against the reference A.
    private func drawClassIoU(_ r: Rect, _ grid: inout ScreenGrid) {
        guard state.hasPair, let a = dataIndex(state.pair.a) else {
            grid.put(" one label source: nothing to compare", row: r.row, col: r.col, fg: .dim); return
        }
        let others = state.sources.indices.filter { $0 != state.pair.a }
        let n = data.schema.count
        let nameWidth = min(22, max(10, r.width / 4))
        let colWidth = max(8, min(16, (r.width - nameWidth) / max(1, others.count)))
        var col = grid.put(Format.pad("vs \(name(state.pair.a))", nameWidth), row: r.row, col: r.col, fg: .accent, attrs: .bold)
        var ious: [[Double?]] = []
        var matrices: [ConfusionMatrix] = []
        for o in others {
            col = grid.put(Format.header(name(o), colWidth), row: r.row, col: col,
                           fg: o == state.pair.b ? .warning : .terminalDefault, attrs: .bold)
            guard let m = dataIndex(o).map({ data.statistics.confusion(a, $0, z: scopeZ) }) ?? ConfusionMatrix(classes: n) else {
                drawCounting(Rect(row: r.row + 1, col: r.col, width: r.width, height: r.height - 1), &grid); return
            }
            matrices.append(m)
            ious.append(m.iou())
        }
        var y = r.row + 1
        for c in 0..<n where y < r.row + r.height - 1 || (c == n - 1 && y < r.row + r.height) {
            col = grid.put(Format.pad(data.schema.classes[c].name, nameWidth), row: y, col: r.col, fg: classColor(c))
            for i in others.indices { col = grid.put(Format.pad(Format.ratio(ious[i][c]), colWidth, right: true), row: y, col: col) }
            y += 1
        }
        if y < r.row + r.height {
            col = grid.put(Format.pad("MIoU org / all", nameWidth), row: y, col: r.col, fg: .accent)
            for m in matrices {
                let text = "\(Format.ratio(m.miou(over: data.schema.organelles)))/\(Format.ratio(m.miou(over: Array(0..<n))))"
                col = grid.put(Format.pad(text, colWidth, right: true), row: y, col: col, fg: .accent)
            }
        }
    }

    /// Organelle classes (rows) as a share of each source's cell voxels (columns).
    private func drawFractions(_ r: Rect, _ grid: inout ScreenGrid) {
        let indices = state.sources.indices
        let nameWidth = min(22, max(10, r.width / 4))
        let colWidth = max(8, min(16, (r.width - nameWidth) / max(1, indices.count)))
        var col = grid.put(Format.pad("of cell voxels", nameWidth), row: r.row, col: r.col, fg: .accent, attrs: .bold)
        var fractions: [[Double?]] = []
        for i in indices {
            col = grid.put(Format.header(name(i), colWidth), row: r.row, col: col, attrs: .bold)
            guard let f = dataIndex(i).map({ data.statistics.fractions($0, z: scopeZ) }) ?? [] else {
                drawCounting(Rect(row: r.row + 1, col: r.col, width: r.width, height: r.height - 1), &grid); return
            }
            fractions.append(f)
        }
        var y = r.row + 1
        for c in data.schema.organelles where y < r.row + r.height {
            col = grid.put(Format.pad(data.schema.classes[c].name, nameWidth), row: y, col: r.col, fg: classColor(c))
            for f in fractions {
                col = grid.put(Format.pad(Format.percent(c < f.count ? f[c] : nil), colWidth, right: true), row: y, col: col)
            }
            y += 1
        }
    }
}
