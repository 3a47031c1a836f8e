import DenseCellCore
import DenseCellIO
@testable import DenseCellTUI
import XCTest

/// The metrics pane shows numbers computed here independently, with plain loops.
final class MetricsPaneTests: XCTestCase {
    func counts(_ a: Volume<UInt8>, _ b: Volume<UInt8>, z: Int?) -> [[Int]] {
        var m = [[Int]](repeating: [Int](repeating: 0, count: 7), count: 7)
        for zz in 0..<a.shape.z where z == nil || z == zz {
            for y in 0..<a.shape.y { for x in 0..<a.shape.x { m[Int(a[zz, y, x])][Int(b[zz, y, x])] += 1 } }
        }
        return m
    }

    func miou(_ m: [[Int]], over classes: [Int]) -> Double? {
        var ious: [Double] = []
        for j in classes {
            let row = m[j].reduce(0, +), col = m.reduce(0) { $0 + $1[j] }
            let d = row + col - m[j][j]
            if d > 0 { ious.append(Double(m[j][j]) / Double(d)) }
        }
        return ious.isEmpty ? nil : ious.reduce(0, +) / Double(ious.count)
    }

    func fmt(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "—" }

    func testConfusionMatrixOfTheSliceAndTheVolume() {
        let study = TestStudies.make()
        let s = TestStudies.session(study, cols: 120, rows: 40)
        s.send(.goToSlice(3))
        for scope in [Int?.some(3), nil] {
            if scope == nil { s.send(KeyMap.action(for: .char("v"))!) }
            let grid = s.frame()
            let expected = counts(study.labels[0].labels, study.labels[1].labels, z: scope)
            let names = LabelSchema.platelet.names
            for (t, name) in names.enumerated() {
                let row = try! XCTUnwrap((0..<grid.height).first { grid.text(row: $0).hasPrefix(name) && !grid.text(row: $0).contains("■") },
                                         "row \(name)")
                let numbers = grid.text(row: row).dropFirst(20).split(separator: " ").map(String.init)
                XCTAssertEqual(numbers, expected[t].map(String.init), "row \(name), scope \(String(describing: scope))")
            }
            let total = expected.joined().reduce(0, +)
            XCTAssertTrue(grid.contains("\(total) voxels · MIoU(org) \(fmt(miou(expected, over: [2, 3, 4, 5, 6])))"))
            XCTAssertTrue(grid.contains("MIoU(all) \(fmt(miou(expected, over: Array(0..<7))))"))
        }
        XCTAssertTrue(s.frame().contains("volume"))
    }

    func testPairwiseMatricesOfAllSources() {
        let study = TestStudies.make()
        let s = TestStudies.session(study, cols: 160, rows: 40)
        s.send(.cycleMetricsTab)
        XCTAssertEqual(s.state.metricsTab, .pairwise)
        s.send(.toggleMetricsScope)
        let grid = s.frame()
        let titleRow = try! XCTUnwrap(grid.row(containing: "MIoU(org)"))
        for (i, source) in study.labels.enumerated() {
            let text = grid.text(row: titleRow + 1 + i)
            XCTAssertTrue(text.hasPrefix(source.name))
            var expected: [String] = []
            for other in study.labels {
                expected.append(fmt(miou(counts(source.labels, other.labels, z: nil), over: [2, 3, 4, 5, 6])))
            }
            for other in study.labels {
                expected.append(fmt(miou(counts(source.labels, other.labels, z: nil), over: Array(0..<7))))
            }
            let shown = text.split(separator: " ").map(String.init).filter { $0.hasPrefix("0.") || $0.hasPrefix("1.") || $0 == "—" }
            XCTAssertEqual(shown, expected, "row \(source.name)")
        }
    }

    func testPerClassIoUAndVolumeFractions() {
        let study = TestStudies.make()
        let s = TestStudies.session(study, cols: 120, rows: 40)
        s.send(.goToSlice(6))
        s.send(.cycleMetricsTab); s.send(.cycleMetricsTab)
        XCTAssertEqual(s.state.metricsTab, .classIoU)
        var grid = s.frame()
        let m = counts(study.labels[0].labels, study.labels[2].labels, z: 6)
        // annotator-2 calls the alpha granule a dense granule on slice 6: IoU 0 for both.
        let alphaRow = try! XCTUnwrap((0..<grid.height).first { grid.text(row: $0).hasPrefix("alpha granule") && !grid.text(row: $0).contains("■") })
        let cells = grid.text(row: alphaRow).split(separator: " ").map(String.init).filter { $0.hasPrefix("0.") || $0.hasPrefix("1.") || $0 == "—" }
        XCTAssertEqual(cells.last, fmt(Double(m[4][4]) / Double(m[4].reduce(0, +) + m.reduce(0) { $0 + $1[4] } - m[4][4])))
        XCTAssertEqual(cells.last, "0.000")

        s.send(.cycleMetricsTab)
        XCTAssertEqual(s.state.metricsTab, .fractions)
        grid = s.frame()
        let truth = study.labels[0].labels
        var cell = 0, mito = 0
        for y in 0..<truth.shape.y { for x in 0..<truth.shape.x {
            let c = truth[6, y, x]
            if c != 0 { cell += 1 }
            if c == 2 { mito += 1 }
        } }
        let mitoRow = try! XCTUnwrap((0..<grid.height).first { grid.text(row: $0).hasPrefix("mitochondrion") })
        XCTAssertEqual(grid.text(row: mitoRow).split(separator: " ").dropFirst().first.map(String.init),
                       String(format: "%.1f%%", Double(mito) / Double(cell) * 100))
        // Then the pane folds to one line and the images get its rows.
        let rowsBefore = Layout(s.state).panes[0].pixels.height
        s.send(.cycleMetricsTab)
        XCTAssertEqual(s.state.metricsTab, .small)
        XCTAssertGreaterThan(Layout(s.state).panes[0].pixels.height, rowsBefore)
        s.settle()
        let c = s.data.statistics.confusion(0, 1, z: 6)!
        XCTAssertTrue(s.frame().contains("truth vs annotator-1: MIoU(org) \(fmt(c.miou(over: [2, 3, 4, 5, 6])))"))
        s.send(.cycleMetricsTab)
        XCTAssertEqual(s.state.metricsTab, .confusion, "m cycles through the tabs")
    }

    func testNextDisagreementVisitsSlicesWorstFirst() {
        let study = TestStudies.make()
        let s = TestStudies.session(study)
        // truth vs annotator-2 disagree only on slices 4…7, equally; truth vs annotator-1 on odd slices.
        s.send(.nextDisagreement)
        XCTAssertEqual(s.state.z, 1)
        s.send(.nextDisagreement); XCTAssertEqual(s.state.z, 3)
        s.send(.nextDisagreement); XCTAssertEqual(s.state.z, 5)
        s.send(.previousDisagreement); XCTAssertEqual(s.state.z, 3)
        s.send(.cyclePair)   // truth vs annotator-2
        s.send(.nextDisagreement); XCTAssertEqual(s.state.z, 4)
        let ranking = try! XCTUnwrap(s.state.ranking)
        var expected = [Int](repeating: 0, count: 8)
        for z in 0..<8 { for y in 0..<48 { for x in 0..<64 where study.labels[0].labels[z, y, x] != study.labels[2].labels[z, y, x] { expected[z] += 1 } } }
        XCTAssertEqual(ranking.counts, expected)
        XCTAssertEqual(ranking.order, [4, 5, 6, 7])
        XCTAssertTrue(s.frame().contains("rank 1/4 by disagreement: \(expected[4]) voxels differ on slice 4"))
    }
}

final class WideMetricsTests: XCTestCase {
    func testWideTerminalsShowTheNextTableBeside() {
        let s = TestStudies.session(cols: 200, rows: 60)
        var grid = s.frame()
        let metricsRow = Layout(s.state).metrics.row
        // Confusion on the left, pairwise MIoU on the right.
        let header = grid.text(row: metricsRow + 1)
        XCTAssertTrue(header.hasPrefix("A↓ B→"), header)
        XCTAssertTrue(header.dropFirst(100).contains("MIoU(org)"), header)
        s.send(.cycleMetricsTab)
        grid = s.frame()
        XCTAssertTrue(grid.text(row: metricsRow + 1).hasPrefix("MIoU(org)"))
        XCTAssertTrue(grid.text(row: metricsRow + 1).dropFirst(100).contains("vs truth"))
        // Narrow: one table only.
        s.send(.resize(cols: 120, rows: 40))
        XCTAssertFalse(s.frame().contains("vs truth"))
    }
}
