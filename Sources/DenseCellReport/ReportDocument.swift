import DenseCellCore
import DenseCellIO
import Foundation

/// The report's page and charts, composed from the counted statistics.
struct ReportDocument {
    let options: ReportOptions
    let study: OpenedStudy
    let plan: ReportPlan
    let stats: ReportStatistics
    let log: ReviewSummary?
    /// The training logs whose learning curves are drawn (empty: no training section).
    let trainingLogs: [TrainingLog]
    /// PNG file of each drawn slice, keyed by [pair index, z].
    var sliceFiles: [[Int]: String] = [:]

    init(options: ReportOptions, study: OpenedStudy, plan: ReportPlan, stats: ReportStatistics, log: ReviewSummary?,
         trainingLogs: [TrainingLog] = []) {
        self.options = options; self.study = study; self.plan = plan; self.stats = stats; self.log = log
        self.trainingLogs = trainingLogs
    }

    var schema: LabelSchema { study.schema }
    var studyName: String { (options.studyPath as NSString).lastPathComponent }

    static func safe(_ name: String) -> String { Pane.labels(name).fileNameComponent }
    static func pairText(_ pair: [String]) -> String { "\(pair[0]) vs \(pair[1])" }
    static func confusionFile(_ pair: [String]) -> String { "confusion-\(safe(pair[0]))-vs-\(safe(pair[1])).svg" }

    // MARK: Charts

    /// Every chart as (file name, SVG text).
    func charts() -> [(String, String)] {
        var out: [(String, String)] = []
        let names = plan.sources
        for (file, title, matrix, metric) in [("pairwise-miou-org.svg", "MIoU(org): organelle classes", stats.pairwise.miouOrg, "miou_org"),
                                              ("pairwise-miou-all.svg", "MIoU(all): every class", stats.pairwise.miouAll, "miou_all")] {
            let chart = HeatMapChart(
                title: title, description: "Mean intersection over union of every pair of label sources (\(metric)).",
                rowLabels: names, columnLabels: names, rowAxisTitle: "source", columnAxisTitle: "source",
                values: matrix, cellText: matrix.map { $0.map(ReportNumber.score) },
                cellTags: names.indices.map { i in names.indices.map { j in
                    ReportNumber.tag(metric, ReportNumber.exact(matrix[i][j]), [("a", names[i]), ("b", names[j])])
                } },
                legendTitle: "MIoU", legendFormat: { String(format: "%.2f", $0) })
            out.append((file, chart.svg()))
        }
        let classNames = schema.names
        let swatches = (0..<schema.count).map { Optional(ChartStyle.classColor(schema, $0)) }
        for (p, pair) in plan.pairs.enumerated() {
            let c = stats.confusion[p]
            let rows: [[Double?]] = (0..<c.classes).map { t in
                let n = c.truthCount(t)
                return (0..<c.classes).map { n == 0 ? nil : Double(c[t, $0]) / Double(n) }
            }
            let chart = HeatMapChart(
                title: "Confusion, \(Self.pairText(pair)) (row-normalized)",
                description: "Share of each \(pair[0]) class (rows) that \(pair[1]) labels as each class (columns).",
                rowLabels: classNames, columnLabels: classNames, labelSwatches: swatches,
                rowAxisTitle: "\(pair[0]) class", columnAxisTitle: "\(pair[1]) class",
                // An empty cell reads "0", so the few confusions stand out from the exact zeros.
                values: rows, cellText: (0..<c.classes).map { t in (0..<c.classes).map { q in
                    c[t, q] == 0 && c.truthCount(t) > 0 ? "0" : ReportNumber.percent(rows[t][q], digits: 1)
                } },
                cellTags: (0..<c.classes).map { t in (0..<c.classes).map { q in
                    ReportNumber.tag("confusion_row_share", ReportNumber.exact(rows[t][q]),
                                     [("pair", pair.joined(separator: ",")), ("row", String(t)), ("column", String(q))])
                } },
                legendTitle: "% of row", legendFormat: { String(format: "%.0f%%", 100 * $0) })
            out.append((Self.confusionFile(pair), chart.svg()))
        }
        if !plan.pairs.isEmpty {
            let iou = stats.confusion.map { $0.iou() }
            let chart = BarChart(
                title: "Per-class IoU", description: "Intersection over union of each class for each compared pair.",
                groups: classNames, xAxisTitle: "class", yAxisTitle: "IoU",
                series: plan.pairs.enumerated().map { LegendItem(Self.pairText($1), color: ChartStyle.seriesColor($0)) },
                values: (0..<schema.count).map { j in iou.map { $0[j] } },
                barTags: (0..<schema.count).map { j in plan.pairs.indices.map { p in
                    ReportNumber.tag("iou", ReportNumber.exact(iou[p][j]), [("pair", plan.pairs[p].joined(separator: ",")), ("class", String(j))])
                } },
                yMaximum: 1, yFormat: { String(format: "%.1f", $0) })
            out.append(("iou.svg", chart.svg()))
        }
        let organelles = schema.organelles
        let fractions = BarChart(
            title: "Organelle volume fractions", description: "Voxels of each organelle class / non-background voxels, per source.",
            groups: names, xAxisTitle: "source", yAxisTitle: "fraction of cell volume (%)",
            series: organelles.map { LegendItem(schema.classes[$0].name, color: ChartStyle.classColor(schema, $0)) },
            values: names.map { n in organelles.map { stats.fractions[n]![$0].map { 100 * $0 } } },
            barTags: names.map { n in organelles.map { j in
                ReportNumber.tag("volume_fraction", ReportNumber.exact(stats.fractions[n]![j]), [("source", n), ("class", String(j))])
            } },
            yFormat: { String(format: "%g", $0) })
        out.append(("volume-fractions.svg", fractions.svg()))
        if !plan.probabilities.isEmpty {
            var references: [LineChart.Reference] = []
            for (k, p) in plan.probabilities.enumerated() {
                guard let value = stats.binarizedLabels[k], let labels = p.labels else { continue }
                references.append(.init(legend: LegendItem("\(labels) labels, binarized", color: ChartStyle.seriesColor(k), mark: .dashedLine),
                                        value: value, tags: ReportNumber.tag("binary_labels", ReportNumber.exact(value), [("source", labels)])))
            }
            let chart = LineChart(
                title: "Binary test: 1 − p(background) ≥ t against truth ≠ 0",
                description: "MIoU over background and foreground of the thresholded probabilities, against \(plan.truth ?? "truth").",
                xAxisTitle: "threshold t", yAxisTitle: "MIoU (2 classes)",
                xTicks: ReportStatistics.thresholds, xFormat: { String(format: "%.1f", $0) },
                yTicks: (0...5).map { Double($0) / 5 }, yFormat: { String(format: "%.1f", $0) },
                series: plan.probabilities.enumerated().map { k, p in
                    LineChart.Series(legend: LegendItem("\(p.name) probabilities", color: ChartStyle.seriesColor(k), mark: .line),
                                     points: stats.sweeps[k].map { (x: $0.threshold, y: $0.miou) },
                                     pointTags: stats.sweeps[k].map {
                                         ReportNumber.tag("binary_sweep", ReportNumber.exact($0.miou),
                                                          [("source", p.name), ("threshold", String($0.threshold))])
                                     })
                },
                references: references)
            out.append(("threshold-sweep.svg", chart.svg()))
        }
        if !trainingLogs.isEmpty { out += TrainingCurves.charts(trainingLogs) }
        return out
    }

    // MARK: Page

    func html() -> String {
        var body = Markup.text("h1", [], "Segmentation report: \(studyName)")
        body += Markup.element("p", [("class", "meta")],
                               Markup.escape("Written \(Self.timestamp()) by \(options.generator).")
                               + (options.commandLine.isEmpty ? "" : " " + Markup.text("code", [], options.commandLine)))
        // A line per section keeps the file readable and diffable.
        for section in [studySection(), agreementSection(), fractionSection(), pairSections(), sweepSection(),
                        sliceSection(), reviewSection(), trainingSection(), methodsSection()] {
            body += "\n" + section
        }
        let head = Markup.element("meta", [("charset", "utf-8")])
            + Markup.element("meta", [("name", "generator"), ("content", ReportDirectory.generatorMarker)])
            + Markup.text("title", [], "Segmentation report: \(studyName)")
            + Markup.element("style", [], Self.css)   // CSS is raw text in HTML: kept free of <, & and quotes
        return "<!DOCTYPE html>\n" + Markup.element("html", [("xmlns", "http://www.w3.org/1999/xhtml"), ("lang", "en")],
                                                    Markup.element("head", [], head) + Markup.element("body", [], body)) + "\n"
    }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return f.string(from: Date())
    }

    func figure(_ file: String, alt: String, caption: String, wide: Bool = false) -> String {
        Markup.element("figure", wide ? [("class", "wide")] : [],
                       Markup.element("img", [("src", file), ("alt", alt)])
                       + Markup.element("figcaption", [], Markup.escape(caption) + " "
                                        + Markup.text("a", [("href", file)], file)))
    }

    func cell(_ text: String, _ tags: Markup.Attributes = [], numeric: Bool = true) -> String {
        Markup.text("td", (numeric ? [("class", "num")] : []) + tags, text)
    }

    func table(_ header: [String], _ rows: [String], caption: String? = nil) -> String {
        Markup.element("table", [], (caption.map { Markup.text("caption", [], $0) } ?? "")
                       + Markup.element("thead", [], Markup.element("tr", [], header.map { Markup.text("th", [], $0) }.joined()))
                       + Markup.element("tbody", [], rows.joined()))
    }

    func studySection() -> String {
        let s = study.shape
        var rows = [
            Markup.element("tr", [], Markup.text("th", [], "file") + cell(options.studyPath, numeric: false)),
            Markup.element("tr", [], Markup.text("th", [], "shape (z × y × x)")
                           + cell("\(s.z) × \(s.y) × \(s.x) = \(ReportNumber.count(s.count)) voxels",
                                  [("data-metric", "shape"), ("data-value", "\(s.z),\(s.y),\(s.x)")], numeric: false)),
        ]
        if let r = study.resolutionNM, r.count == 3 {
            let extent = zip([s.z, s.y, s.x], r).map { String(format: "%.2f", Double($0) * $1 / 1000) }.joined(separator: " × ")
            rows.append(Markup.element("tr", [], Markup.text("th", [], "voxel size (z × y × x)")
                                       + cell(r.map { String(format: "%g", $0) }.joined(separator: " × ") + " nm; volume "
                                              + extent + " µm", [("data-metric", "resolution_nm"),
                                                                 ("data-value", r.map { "\($0)" }.joined(separator: ","))], numeric: false)))
        } else {
            rows.append(Markup.element("tr", [], Markup.text("th", [], "voxel size") + cell("not recorded", numeric: false)))
        }
        let classes = schema.classes.enumerated().map { "\($0.offset) \($0.element.name)" }.joined(separator: ", ")
        rows.append(Markup.element("tr", [], Markup.text("th", [], "classes") + cell(classes, numeric: false)))
        rows.append(Markup.element("tr", [], Markup.text("th", [], "organelle classes")
                                   + cell(schema.organelles.map { schema.classes[$0].name }.joined(separator: ", "), numeric: false)))
        let reviewText: String
        if let log { reviewText = "\(log.path) (\(log.records) records)" } else {
            reviewText = "none (looked for \(options.reviewLog ?? StudyReport.defaultReviewLogPath(studyPath: options.studyPath)))"
        }
        rows.append(Markup.element("tr", [], Markup.text("th", [], "review log") + cell(reviewText, numeric: false)))
        var html = Markup.text("h2", [("id", "study")], "1 Study") + Markup.element("table", [("class", "facts")], Markup.element("tbody", [], rows.joined()))

        var sourceRows: [String] = []
        for source in study.labels {
            let name = source.name, shown = plan.sources.contains(name)
            let region = source.mask.map { "mask \($0.reference.dataset ?? $0.reference.path)" } ?? "whole volume"
            let voxels = stats.labeledVoxels[name].map { cell(ReportNumber.count($0), [("data-metric", "labeled_voxels"), ("data-value", String($0)),
                                                                                     ("data-source", name)]) } ?? cell("—")
            sourceRows.append(Markup.element("tr", [], Markup.text("td", [], name) + cell(source.role.rawValue, numeric: false)
                                             + cell(region, numeric: false) + voxels + cell(shown ? "yes" : "no", numeric: false)))
        }
        for name in study.probabilityNames {
            let swept = plan.probabilities.contains { $0.name == name }
            sourceRows.append(Markup.element("tr", [], Markup.text("td", [], name) + cell("probabilities", numeric: false)
                                             + cell("—", numeric: false) + cell("—")
                                             + cell(swept ? "binary test" : "no (no truth source)", numeric: false)))
        }
        html += table(["source", "role", "labeled region", "labeled voxels", "in this report"], sourceRows,
                      caption: "Sources in the study")
        return Markup.element("section", [], html)
    }

    func agreementSection() -> String {
        var html = Markup.text("h2", [("id", "agreement")], "2 Agreement between sources")
        html += Markup.text("p", [], "Mean intersection over union of each pair of sources, over the voxels both have labeled: "
                            + "MIoU(org) averages the organelle classes, MIoU(all) every class. The matrices are symmetric.")
        html += Markup.element("div", [("class", "row")],
                               figure("pairwise-miou-org.svg", alt: "Pairwise MIoU(org) heat map", caption: "Pairwise MIoU(org).")
                               + figure("pairwise-miou-all.svg", alt: "Pairwise MIoU(all) heat map", caption: "Pairwise MIoU(all)."))
        return Markup.element("section", [], html)
    }

    func fractionSection() -> String {
        var html = Markup.text("h2", [("id", "fractions")], "3 Organelle volume fractions")
        html += Markup.text("p", [], "Voxels of each organelle class divided by the source's non-background voxels, within its labeled region.")
        html += figure("volume-fractions.svg", alt: "Organelle volume fractions per source", caption: "Organelle volume fractions per source.", wide: true)
        let rows = plan.sources.map { n in
            Markup.element("tr", [], Markup.text("td", [], n) + schema.organelles.map { j in
                cell(ReportNumber.percent(stats.fractions[n]![j]),
                     ReportNumber.tag("volume_fraction", ReportNumber.exact(stats.fractions[n]![j]), [("source", n), ("class", String(j))]))
            }.joined())
        }
        html += table(["source"] + schema.organelles.map { schema.classes[$0].name }, rows, caption: "Organelle volume fractions")
        return Markup.element("section", [], html)
    }

    func pairSections() -> String {
        guard !plan.pairs.isEmpty else { return "" }
        var html = Markup.text("h2", [("id", "pairs")], "4 Compared pairs")
        html += Markup.text("p", [], "For each pair A vs B: confusion matrix (rows A, columns B) over the voxels both have labeled, "
                            + "and the intersection over union of each class.")
        html += figure("iou.svg", alt: "Per-class IoU of each compared pair", caption: "Per-class IoU of each compared pair.", wide: true)
        for (p, pair) in plan.pairs.enumerated() {
            let c = stats.confusion[p]
            let key = pair.joined(separator: ",")
            html += Markup.text("h3", [("id", "pair-\(p + 1)")], "4.\(p + 1) \(Self.pairText(pair))")
            html += Markup.element("p", [],
                Markup.escape("Voxels compared: ") + Markup.text("span", ReportNumber.tag("voxels", String(c.total), [("pair", key)]), ReportNumber.count(c.total))
                + Markup.escape("; MIoU(all) ") + Markup.text("span", ReportNumber.tag("pair_miou_all", ReportNumber.exact(c.miou(over: Array(0..<c.classes))), [("pair", key)]),
                                                              ReportNumber.score(c.miou(over: Array(0..<c.classes))))
                + Markup.escape("; MIoU(org) ") + Markup.text("span", ReportNumber.tag("pair_miou_org", ReportNumber.exact(c.miou(over: schema.organelles)), [("pair", key)]),
                                                              ReportNumber.score(c.miou(over: schema.organelles)))
                + Markup.escape("."))
            let iou = c.iou()
            let organelles = Set(schema.organelles)
            let iouRows = (0..<c.classes).map { j in
                Markup.element("tr", [], Markup.text("td", [], "\(j) \(schema.classes[j].name)\(organelles.contains(j) ? "" : " *")")
                               + cell(ReportNumber.count(c.truthCount(j)), ReportNumber.tag("truth_voxels", String(c.truthCount(j)), [("pair", key), ("class", String(j))]))
                               + cell(ReportNumber.count(c.predictedCount(j)), ReportNumber.tag("prediction_voxels", String(c.predictedCount(j)), [("pair", key), ("class", String(j))]))
                               + cell(ReportNumber.score(iou[j]), ReportNumber.tag("iou", ReportNumber.exact(iou[j]), [("pair", key), ("class", String(j))])))
            }
            let iouTable = table(["class", "\(pair[0]) voxels", "\(pair[1]) voxels", "IoU"], iouRows,
                                 caption: "Per-class IoU (* not an organelle)")
            let countRows = (0..<c.classes).map { t in
                Markup.element("tr", [], Markup.text("th", [], "\(t) \(schema.classes[t].name)") + (0..<c.classes).map { q in
                    cell(ReportNumber.count(c[t, q]), ReportNumber.tag("confusion", String(c[t, q]), [("pair", key), ("row", String(t)), ("column", String(q))]))
                }.joined())
            }
            html += table(["\(pair[0]) \\ \(pair[1])"] + (0..<c.classes).map { "\($0) \(schema.classes[$0].name)" }, countRows,
                          caption: "Confusion matrix in voxels (rows \(pair[0]), columns \(pair[1]))")
            html += Markup.element("div", [("class", "row")],
                                   figure(Self.confusionFile(pair), alt: "Row-normalized confusion matrix, \(Self.pairText(pair))",
                                          caption: "Confusion matrix of \(Self.pairText(pair)), each row divided by its total.")
                                   + iouTable)
        }
        return Markup.element("section", [], html)
    }

    func sweepSection() -> String {
        var html = Markup.text("h2", [("id", "binary")], "5 Binary test")
        guard !plan.probabilities.isEmpty else {
            let why = study.probabilityNames.isEmpty ? "The study holds no class probabilities (/probabilities)."
                                                      : "No truth source is among the compared sources."
            return Markup.element("section", [], html + Markup.text("p", [], why + " The binary threshold test needs both."))
        }
        html += Markup.text("p", [], "The non-background probability 1 − p(background) thresholded at t, against \(plan.truth!) binarized "
                            + "(every class but background), scored by MIoU over the two classes. Dashed: the label source of the same "
                            + "name, binarized the same way.")
        let rows = ReportStatistics.thresholds.indices.map { i in
            Markup.element("tr", [], cell(String(format: "%.1f", ReportStatistics.thresholds[i]),
                                          ReportNumber.tag("threshold", String(ReportStatistics.thresholds[i])))
                           + plan.probabilities.indices.map { k in
                let v = stats.sweeps[k][i].miou
                return cell(ReportNumber.score(v), ReportNumber.tag("binary_sweep", ReportNumber.exact(v),
                                                                    [("source", plan.probabilities[k].name), ("threshold", String(ReportStatistics.thresholds[i]))]))
            }.joined())
        }
        html += Markup.element("div", [("class", "row")],
                               figure("threshold-sweep.svg", alt: "Binary MIoU against threshold", caption: "Binary MIoU against the threshold t.")
                               + table(["t"] + plan.probabilities.map { "\($0.name) MIoU" }, rows, caption: "Binary MIoU"))
        for (k, p) in plan.probabilities.enumerated() {
            if let labels = p.labels, let v = stats.binarizedLabels[k] {
                html += Markup.element("p", [], Markup.escape("\(labels) labels, binarized: MIoU ")
                                       + Markup.text("span", ReportNumber.tag("binary_labels", ReportNumber.exact(v), [("source", labels)]),
                                                     ReportNumber.score(v)) + Markup.escape("."))
            }
        }
        return Markup.element("section", [], html)
    }

    func sliceSection() -> String {
        var html = Markup.text("h2", [("id", "slices")], "6 Slices of most disagreement")
        guard plan.slices > 0 else { return Markup.element("section", [], html + Markup.text("p", [], "Not drawn (--slices 0).")) }
        html += Markup.text("p", [], "For each pair, the slices where the two sources disagree on the most voxels: the image, each "
                            + "source over it, and the disagreement map (red: organelle only in A, blue: only in B, yellow: "
                            + "different organelles, violet: cell against background).")
        for (p, pair) in plan.pairs.enumerated() {
            let slices = stats.worstSlices(pair: p, count: plan.slices)
            html += Markup.text("h3", [], Self.pairText(pair))
            if slices.isEmpty { html += Markup.text("p", [], "The two sources agree on every slice."); continue }
            for z in slices {
                guard let file = sliceFiles[[p, z]] else { continue }
                let d = stats.disagreement[p][z]
                html += Markup.element("figure", [("class", "wide")],
                    Markup.element("img", [("src", file), ("alt", "Slice \(z), \(Self.pairText(pair))")])
                    + Markup.element("figcaption", [], Markup.escape("Slice z \(z): ")
                        + Markup.text("span", ReportNumber.tag("slice_disagreement", String(d), [("pair", pair.joined(separator: ",")), ("z", String(z))]),
                                      ReportNumber.count(d))
                        + Markup.escape(" voxels differ. ") + Markup.text("a", [("href", file)], file)))
            }
        }
        return Markup.element("section", [], html)
    }

    func reviewSection() -> String {
        guard let summary = log else { return "" }
        var html = Markup.text("h2", [("id", "review")], "7 Review log")
        html += Markup.element("p", [], Markup.escape("\(summary.path): ")
            + Markup.text("span", [("data-metric", "review_records"), ("data-value", String(summary.records))], String(summary.records))
            + Markup.escape(" records by \(summary.reviewers.isEmpty ? "unnamed reviewers" : summary.reviewers.joined(separator: ", ")); ")
            + Markup.text("span", [("data-metric", "review_withdrawn"), ("data-value", String(summary.withdrawn))], String(summary.withdrawn))
            + Markup.escape(" decisions withdrawn (undone or decided again)."))
        for warning in summary.warnings { html += Markup.text("p", [("class", "warning")], warning) }
        if summary.decisions.isEmpty {
            html += Markup.text("p", [], "No decisions in effect.")
        } else {
            let rows = summary.decisions.map { row in
                Markup.element("tr", [], Markup.text("td", [], row.pair.isEmpty ? "—" : row.pair)
                               + Markup.text("td", [], row.classes.isEmpty ? "—" : row.classes.joined(separator: " / "))
                               + ReviewSummary.takes.map { take in
                    cell(String(row.takes[take] ?? 0), [("data-metric", "review_decisions"), ("data-value", String(row.takes[take] ?? 0)),
                                                        ("data-pair", row.pair), ("data-classes", row.classes.joined(separator: ",")), ("data-take", take)])
                }.joined() + cell(String(row.total), ReportNumber.tag("review_regions", String(row.total))))
            }
            html += table(["pair", "classes (A / B)", "took A", "took B", "took ensemble", "neither", "regions"], rows,
                          caption: "Decisions in effect per class pair")
        }
        if summary.flags.isEmpty {
            html += Markup.text("p", [], "No flags.")
        } else {
            let rows = summary.flags.map { flag in
                let r = flag.record
                return Markup.element("tr", [], cell(String(flag.line), ReportNumber.tag("review_line", String(flag.line))) + Markup.text("td", [], r.time) + Markup.text("td", [], r.reviewer)
                                      + Markup.text("td", [], r.at.map(String.init).joined(separator: ", "))
                                      + Markup.text("td", [], r.pair?.joined(separator: " vs ") ?? "—")
                                      + Markup.text("td", [("class", "note")], r.note ?? "")
                                      + Markup.text("td", [], flag.resolved ? "resolved" : "open"))
            }
            html += table(["line", "time", "reviewer", "z, y, x", "pair", "note", "status"], rows, caption: "Flags")
        }
        return Markup.element("section", [], html)
    }

    func trainingSection() -> String {
        guard !trainingLogs.isEmpty else { return "" }
        var html = Markup.text("h2", [("id", "training")], "8 Training")
        html += Markup.text("p", [], "Learning curves from the training logs: the mean training loss between evaluations and "
                            + "MIoU(all) and MIoU(org) on the held-out volume at each evaluation. The best checkpoint is the "
                            + "evaluation of highest MIoU(all).")
        html += Markup.element("div", [("class", "row")],
                               figure(TrainingCurves.lossFile, alt: "Training loss against steps", caption: "Training loss.")
                               + figure(TrainingCurves.miouFile, alt: "Held-out MIoU against steps", caption: "Held-out MIoU."))
        let rows = trainingLogs.map { log -> String in
            let best = zip(log.steps, log.miouAll).compactMap { s, m in m.map { (s, $0) } }.max { $0.1 < $1.1 }
            return Markup.element("tr", [], Markup.text("td", [], log.name)
                                  + cell(log.steps.last.map { String(Int($0)) } ?? "–")
                                  + cell(ReportNumber.score(best?.1), ReportNumber.tag("training_best_miou_all", ReportNumber.exact(best?.1), [("log", log.name)]))
                                  + cell(best.map { String(Int($0.0)) } ?? "–")
                                  + Markup.text("td", [], log.path))
        }
        html += table(["log", "steps", "best MIoU(all)", "at step", "file"], rows, caption: "Training runs")
        return Markup.element("section", [], html)
    }

    func methodsSection() -> String {
        let html = Markup.text("h2", [("id", "methods")], "How the numbers were computed")
            + Markup.element("ul", [], [
                "Only voxels inside the labeled region of both sources of a pair are counted (each source's mask).",
                "IoU of class j = C[j][j] / (row j + column j − C[j][j]) of the confusion matrix C; undefined (n/a) when class j is absent from both.",
                "MIoU(D) is the unweighted mean of the defined IoU over the classes D: every class (all) or the organelle classes (org).",
                "Organelle volume fraction = voxels of the organelle / non-background voxels of the same source.",
                "Binary test: a voxel is foreground when 1 − p(background) ≥ t; MIoU over background and foreground against truth ≠ 0.",
                "The same numbers are printed by densecell compare --json and densecell evaluate --json.",
            ].map { Markup.text("li", [], $0) }.joined())
        return Markup.element("section", [], html)
    }

    static let css = """
    body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; color: #1e1e1e; background: #fff;
           max-width: 1180px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; font-size: 15px; }
    h1 { font-size: 1.7em; margin-bottom: .2em; }
    h2 { font-size: 1.3em; border-bottom: 1px solid #bbb; margin-top: 2em; padding-bottom: .15em; }
    h3 { font-size: 1.1em; margin-top: 1.6em; }
    p.meta { color: #555; margin-top: 0; }
    p.warning { color: #8a4b00; }
    code { font-size: .9em; background: #f3f3f3; padding: 0 .25em; }
    table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .9em; }
    caption { text-align: left; font-weight: bold; padding-bottom: .3em; }
    th, td { border: 1px solid #c8c8c8; padding: .22em .55em; vertical-align: top; }
    thead th { background: #f2f2f2; }
    tbody th { text-align: left; font-weight: normal; background: #fafafa; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    td.note { max-width: 28em; }
    table.facts th { text-align: left; font-weight: bold; }
    figure { margin: 1em 0; break-inside: avoid; page-break-inside: avoid; }
    figure img { max-width: 100%; height: auto; display: block; }
    figcaption { font-size: .88em; color: #444; margin-top: .3em; }
    .row { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
    .row figcaption { max-width: 36em; }
    @media print {
      body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
      a { color: inherit; text-decoration: none; }
      h2, h3 { break-after: avoid; page-break-after: avoid; }
      table { break-inside: avoid; page-break-inside: avoid; }
      @page { size: A4; margin: 14mm; }
    }
    """
}
