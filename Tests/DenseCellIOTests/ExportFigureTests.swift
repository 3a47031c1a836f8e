import XCTest
import DenseCellCore
@testable import DenseCellIO

/// A small study with labels at known places: truth, a prediction that differs from it in one
/// region of each disagreement kind, and an annotator labeled only in its mask (y < 20).
enum ExportStudy {
    static let shape = Shape3(3, 40, 60)
    /// Image value at a voxel: distinct per (z, y, x), within 0…255.
    static func value(_ z: Int, _ y: Int, _ x: Int) -> Float { Float((x * 3 + y * 2 + z * 7) % 200 + 30) }

    static func truthLabel(_ y: Int, _ x: Int) -> UInt8 {
        if x < 10 { return 0 }
        if (5..<15).contains(y) && (15..<25).contains(x) { return 2 }
        if (20..<30).contains(y) && (30..<45).contains(x) { return 4 }
        if (28..<31).contains(y) && (50..<53).contains(x) { return 6 }
        if (25..<35).contains(y) && (48..<56).contains(x) { return 5 }
        return 1
    }

    static func predictionLabel(_ y: Int, _ x: Int) -> UInt8 {
        let t = truthLabel(y, x)
        if t == 2 { return 1 }                                              // missed organelle
        if (5..<10).contains(y) && (40..<50).contains(x) { return 4 }       // extra organelle
        if t == 5 { return 4 }                                              // confused organelle
        if x == 10 { return 0 }                                             // cell vs background
        return t
    }

    static func make(resolution: [Double]? = [50, 20, 20]) -> Study {
        var image = Volume<Float>(shape: shape, repeating: 0)
        var truth = Volume<UInt8>(shape: shape, repeating: 0)
        var prediction = truth, mask = truth
        for z in 0..<shape.z {
            for y in 0..<shape.y {
                for x in 0..<shape.x {
                    image[z, y, x] = value(z, y, x)
                    truth[z, y, x] = truthLabel(y, x)
                    prediction[z, y, x] = predictionLabel(y, x)
                    mask[z, y, x] = y < 20 ? 1 : 0
                }
            }
        }
        return Study(image: image, resolutionNM: resolution, labels: [
            LabelSource(name: "truth", role: .truth, labels: truth),
            LabelSource(name: "prediction", role: .algorithm, labels: prediction),
            LabelSource(name: "annotator-1", role: .annotator, labels: truth, mask: mask),
        ])
    }
}

final class ExportFigureTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-export-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Identity gray window: a voxel of value v shows as gray v.
    func options(alpha: Double = 0.5, scale: Double = 1) -> FigureOptions {
        FigureOptions(alpha: alpha, scale: scale, heading: "test figure", grayWindow: (0, 255))
    }

    /// Writes the figure through libpng and reads it back, with the layout that placed it.
    func exported(_ panes: [Pane], z: Int = 1, options: FigureOptions, study: Study = ExportStudy.make())
        throws -> (PNGImage, FigureLayout) {
        let path = try FigureExport.export(study: study, studyPath: "/data/platelet.h5", z: z, panes: panes,
                                           options: options, directory: dir)
        XCTAssertEqual((path as NSString).lastPathComponent,
                       FigureExport.fileName(studyPath: "platelet.h5", z: z, panes: panes, sliceCount: study.shape.z))
        let png = try PNGImage.read(path: path)
        let layout = try Figure.layout(study: study, panes: panes, options: options, font: BitmapFont.standard())
        return (png, layout)
    }

    func rgb(_ png: PNGImage, _ x: Int, _ y: Int) -> [UInt8] { png.pixel(x: x, y: y) }

    /// round(g·(1−a) + c·a) per channel, written out independently of `Overlay`.
    func mixed(_ g: Int, _ hex: UInt32, _ a: Double) -> [UInt8] {
        [(hex >> 16) & 0xFF, (hex >> 8) & 0xFF, hex & 0xFF].map { UInt8((Double(g) * (1 - a) + Double($0) * a).rounded()) }
    }

    func testSizeAndPanelPlacementMatchTheLayout() throws {
        let panes: [Pane] = [.image, .labels("truth"), .disagreement("truth", "prediction")]
        let (png, layout) = try exported(panes, options: options())
        XCTAssertEqual(png.channels, 3)
        XCTAssertEqual(png.width, layout.width)
        XCTAssertEqual(png.height, layout.height)
        XCTAssertEqual(layout.panels.count, 3)
        for (i, panel) in layout.panels.enumerated() {
            XCTAssertEqual(panel.rect.width, 60)
            XCTAssertEqual(panel.rect.height, 40)
            if i > 0 { XCTAssertGreaterThan(panel.rect.x, layout.panels[i - 1].rect.maxX, "panels side by side, apart") }
            XCTAssertEqual(panel.rect.y, layout.panels[0].rect.y)
            // The frame around the panel is drawn just outside it; the paper beyond the frame is white.
            XCTAssertEqual(rgb(png, panel.rect.x - 1, panel.rect.y + 5), [0x9A, 0x9A, 0x9A])
            XCTAssertEqual(rgb(png, panel.rect.x - 3, panel.rect.y + 5), [255, 255, 255])
        }
        // The image panel's corners are exactly the corner voxels of slice 1.
        let p0 = layout.panels[0].rect
        for (y, x) in [(0, 0), (0, 59), (39, 0), (39, 59), (17, 33)] {
            let g = UInt8(ExportStudy.value(1, y, x))
            XCTAssertEqual(rgb(png, p0.x + x, p0.y + y), [g, g, g], "image voxel (\(y), \(x))")
        }
        // Titles: dark ink above each panel, inside the title line.
        for panel in layout.panels {
            let o = try XCTUnwrap(panel.titleOrigin)
            XCTAssertLessThan(o.y + 10, panel.rect.y + 1)
            let ink = (o.y..<(o.y + 10)).flatMap { y in (o.x..<(o.x + 20)).map { x in rgb(png, x, y) } }
                .filter { $0 == [0x1E, 0x1E, 0x1E] }.count
            XCTAssertGreaterThan(ink, 10, "title of \(panel.pane)")
        }
    }

    func testOverlayColorsAtKnownVoxels() throws {
        let (png, layout) = try exported([.image, .labels("truth")], options: options(alpha: 0.5))
        let p = layout.panels[1].rect
        let cases: [(y: Int, x: Int, color: UInt32?)] = [
            (2, 3, nil),           // background: not painted
            (2, 30, 0x5B8DB8),     // cell
            (8, 18, 0x3BAA5C),     // mitochondrion
            (22, 35, 0xE0629B),    // alpha granule
            (26, 49, 0x9B59D0),    // dense granule
            (29, 51, 0xFF7F0E),    // dense granule core
        ]
        for c in cases {
            let g = Int(ExportStudy.value(1, c.y, c.x))
            let expected = c.color.map { mixed(g, $0, 0.5) } ?? [UInt8(g), UInt8(g), UInt8(g)]
            XCTAssertEqual(rgb(png, p.x + c.x, p.y + c.y), expected, "voxel (\(c.y), \(c.x))")
        }
    }

    func testAlphaZeroReproducesTheImage() throws {
        let (png, layout) = try exported([.image, .labels("truth"), .labels("prediction")], options: options(alpha: 0))
        let image = layout.panels[0].rect
        for panel in layout.panels.dropFirst() {
            for y in 0..<image.height {
                for x in 0..<image.width where rgb(png, panel.rect.x + x, panel.rect.y + y) != rgb(png, image.x + x, image.y + y) {
                    return XCTFail("\(panel.pane) differs from the image at (\(y), \(x))")
                }
            }
        }
    }

    func testLegendShowsEveryPaintedClassAndTheScaleBar() throws {
        var o = options()
        o.hiddenClasses = [1]
        let (png, layout) = try exported([.image, .labels("truth")], options: o)
        let classes = layout.legend.compactMap { if case .labelClass(let c) = $0.kind { c } else { nil } }
        XCTAssertEqual(classes, [2, 3, 4, 5, 6], "painted classes, without background and the hidden cell class")
        let schema = LabelSchema.platelet
        for entry in layout.legend {
            XCTAssertGreaterThan(entry.swatch.y, layout.panels[0].rect.maxY, "legend below the panels")
            let c = entry.swatch.center
            XCTAssertEqual(rgb(png, c.x, c.y), [entry.color.r, entry.color.g, entry.color.b])
            if case .labelClass(let k) = entry.kind {
                XCTAssertEqual(entry.color, schema.classes[k].color)
                XCTAssertEqual(entry.label, schema.classes[k].name)
            }
            // Its name is written right of the swatch.
            let t = entry.textOrigin
            let ink = (t.y..<(t.y + 10)).flatMap { y in (t.x..<(t.x + 24)).map { x in rgb(png, x, y) } }
                .filter { $0 == [0x1E, 0x1E, 0x1E] }.count
            XCTAssertGreaterThan(ink, 8, entry.label)
        }
        // 20 nm pixels on a 60-pixel panel: a quarter panel (15 px) holds no round length of at
        // least 12 px (200 nm = 10 px), so there is no bar.
        XCTAssertFalse(layout.legend.contains { if case .scaleBar = $0.kind { true } else { false } })
        let big = try Figure.layout(study: ExportStudy.make(), panes: [.image], options: options(scale: 4), font: BitmapFont.standard())
        let bar = try XCTUnwrap(big.legend.first { if case .scaleBar = $0.kind { true } else { false } })
        // 5 nm per panel pixel, panel 240 px: 200 nm = 40 px fits a quarter (60 px), 500 nm = 100 px does not.
        XCTAssertEqual(bar.kind, .scaleBar(nanometres: 200))
        XCTAssertEqual(bar.swatch.width, 40)
        XCTAssertEqual(bar.label, "200 nm")
    }

    func testHiddenClassIsNotPainted() throws {
        var o = options()
        o.hiddenClasses = [1]
        let (png, layout) = try exported([.labels("truth")], options: o)
        let p = layout.panels[0].rect
        let g = UInt8(ExportStudy.value(1, 2, 30))
        XCTAssertEqual(rgb(png, p.x + 30, p.y + 2), [g, g, g])
        XCTAssertEqual(rgb(png, p.x + 18, p.y + 8), mixed(Int(ExportStudy.value(1, 8, 18)), 0x3BAA5C, 0.5))
    }

    func testNoLegendAndNoTitlesLeaveOnlyPanelsAndMargins() throws {
        var o = options()
        o.legend = false; o.paneTitles = false; o.heading = nil
        let (png, layout) = try exported([.image, .labels("truth")], options: o)
        XCTAssertTrue(layout.legend.isEmpty)
        XCTAssertEqual(png.height, 40 + 2 * 10)
        XCTAssertEqual(png.width, 2 * 60 + 10 + 2 * 10)
    }

    func testDisagreementColorsPerKind() throws {
        let (png, layout) = try exported([.disagreement("truth", "prediction")], options: options())
        let p = layout.panels[0].rect
        func expect(_ y: Int, _ x: Int, _ color: UInt32?, _ what: String) {
            let g = Int(ExportStudy.value(1, y, x))
            let expected = color.map { mixed(g, $0, 0.85) } ?? { let d = UInt8(Double(g) * 0.6); return [d, d, d] }()
            XCTAssertEqual(rgb(png, p.x + x, p.y + y), expected, what)
        }
        expect(8, 18, 0xE8413C, "organelle only in truth")
        expect(7, 45, 0x2BB5E8, "organelle only in prediction")
        expect(26, 49, 0xFFD400, "different organelles")
        expect(33, 10, 0xB08CFF, "cell vs background")
        expect(2, 30, nil, "agreement: dimmed image")
        expect(2, 3, nil, "agreement on background")
        let kinds = layout.legend.compactMap { if case .disagreement(let k) = $0.kind { k } else { nil } }
        XCTAssertEqual(kinds, [.missed, .extra, .confused, .cellBoundary])
        XCTAssertTrue(layout.legend.contains { $0.label == "organelle only in truth" })
        XCTAssertTrue(layout.legend.contains { $0.label == "organelle only in prediction" })
    }

    func testMaskedOutVoxelsShowThePlainImage() throws {
        let (png, layout) = try exported([.labels("annotator-1"), .disagreement("truth", "annotator-1")], options: options())
        let labels = layout.panels[0].rect, diff = layout.panels[1].rect
        // y < 20 is labeled: painted / compared; y ≥ 20 is outside the mask: plain image.
        XCTAssertEqual(rgb(png, labels.x + 30, labels.y + 2), mixed(Int(ExportStudy.value(1, 2, 30)), 0x5B8DB8, 0.5))
        let g = UInt8(ExportStudy.value(1, 22, 35))
        XCTAssertEqual(rgb(png, labels.x + 35, labels.y + 22), [g, g, g])
        XCTAssertEqual(rgb(png, diff.x + 35, diff.y + 22), [g, g, g])
        let d = UInt8(Double(ExportStudy.value(1, 2, 30)) * 0.6)
        XCTAssertEqual(rgb(png, diff.x + 30, diff.y + 2), [d, d, d])
    }

    func testScaleEnlargesVoxelsAndShrinksByAveraging() throws {
        let (png, layout) = try exported([.labels("truth")], options: options(scale: 3))
        let p = layout.panels[0].rect
        XCTAssertEqual(p.width, 180); XCTAssertEqual(p.height, 120)
        XCTAssertEqual(layout.textScale, 3)
        let expected = mixed(Int(ExportStudy.value(1, 8, 18)), 0x3BAA5C, 0.5)
        for dy in 0..<3 { for dx in 0..<3 { XCTAssertEqual(rgb(png, p.x + 18 * 3 + dx, p.y + 8 * 3 + dy), expected) } }

        let (small, smallLayout) = try exported([.image], options: options(scale: 0.5))
        let s = smallLayout.panels[0].rect
        XCTAssertEqual(s.width, 30); XCTAssertEqual(s.height, 20)
        // Output pixel (3, 4) covers voxels y 6–7, x 8–9.
        let mean = [(6, 8), (6, 9), (7, 8), (7, 9)].map { Double(ExportStudy.value(1, $0.0, $0.1)) }.reduce(0, +) / 4
        XCTAssertEqual(Double(rgb(small, s.x + 4, s.y + 3)[0]), mean, accuracy: 0.51)
    }

    func testRegionOfInterestStartsAtItsCorner() throws {
        var o = options()
        o.roiY = 5..<15; o.roiX = 15..<40
        let (png, layout) = try exported([.image, .labels("truth")], options: o)
        let p = layout.panels[1].rect
        XCTAssertEqual(p.width, 25); XCTAssertEqual(p.height, 10)
        XCTAssertEqual(rgb(png, p.x, p.y), mixed(Int(ExportStudy.value(1, 5, 15)), 0x3BAA5C, 0.5))
        let g = Int(ExportStudy.value(1, 14, 39))
        XCTAssertEqual(rgb(png, p.maxX - 1, p.maxY - 1), mixed(g, 0x5B8DB8, 0.5))
    }

    func testSlicesDiffer() throws {
        let a = try FigureExport.render(study: ExportStudy.make(), z: 0, panes: [.image], options: options())
        let b = try FigureExport.render(study: ExportStudy.make(), z: 2, panes: [.image], options: options())
        XCTAssertEqual(a.width, b.width)
        XCTAssertNotEqual(a.pixels, b.pixels)
    }

    func testBadRequestsAreTypedErrors() {
        let study = ExportStudy.make()
        func error(_ body: () throws -> Void) -> FigureError? {
            do { try body(); return nil } catch { return error as? FigureError }
        }
        XCTAssertEqual(error { _ = try FigureExport.render(study: study, z: 0, panes: [.labels("ensemble")], options: self.options()) },
                       .missingSource("ensemble", available: ["truth", "prediction", "annotator-1"]))
        XCTAssertEqual(error { _ = try FigureExport.render(study: study, z: 3, panes: [.image], options: self.options()) },
                       .sliceOutOfRange(3, count: 3))
        var o = options(); o.roiX = 50..<70
        XCTAssertNotNil(error { _ = try FigureExport.render(study: study, z: 0, panes: [.image], options: o) })
        XCTAssertNotNil(error { _ = try FigureExport.render(study: study, z: 0, panes: [.image], options: self.options(alpha: 1.5)) })
        XCTAssertNotNil(error { _ = try FigureExport.render(study: study, z: 0, panes: [.image], options: self.options(scale: 0)) })
        XCTAssertEqual(error { _ = try FigureExport.render(study: study, z: 0, panes: [], options: self.options()) }, .noPanes)
    }

    func testFileNames() {
        XCTAssertEqual(FigureExport.fileName(studyPath: "/x/platelet.h5", z: 37, panes: [.labels("truth")]), "platelet-z037-truth.png")
        XCTAssertEqual(FigureExport.fileName(studyPath: "platelet.h5", z: 37,
                                             panes: [.image, .labels("truth"), .disagreement("truth", "ensemble")]),
                       "platelet-z037-image+truth+diff-truth-ensemble.png")
        XCTAssertEqual(FigureExport.fileName(studyPath: "a.b.h5", z: 5, panes: [.labels("run 2/x")], sliceCount: 1200),
                       "a.b-z0005-run_2_x.png")
        XCTAssertEqual(FigureExport.fileName(studyPath: "s.h5", z: 999, panes: [.image], sliceCount: 1000), "s-z999-image.png")
    }

    func testPaneSpecsParseAndPrintBack() throws {
        XCTAssertEqual(try Pane.parseList("image,truth,diff:truth/ensemble"),
                       [.image, .labels("truth"), .disagreement("truth", "ensemble")])
        for spec in ["image", "annotator-1", "diff:a/b"] { XCTAssertEqual(try Pane.parse(spec).description, spec) }
        for bad in ["", "diff:truth", "diff:/b", "diff:a/b/c", "labels:truth", "a,,b"] {
            XCTAssertThrowsError(try Pane.parseList(bad), bad)
        }
    }

    func testHeadingNamesFileSliceRegionAndVoxelSize() throws {
        let study = ExportStudy.make()
        var o = options()
        o.roiY = 5..<15; o.roiX = 15..<40
        XCTAssertEqual(FigureExport.defaultHeading(studyPath: "/data/platelet.h5", study: study, z: 1, options: o),
                       "platelet.h5  ·  z 1 of 3  ·  y 5:15  x 15:40  ·  50×20×20 nm voxels (z×y×x)")
        o.heading = FigureExport.defaultHeading(studyPath: "/data/platelet.h5", study: study, z: 1, options: o)
        let (png, layout) = try exported([.image], options: o)
        let h = try XCTUnwrap(layout.headingOrigin)
        let font = try BitmapFont.standard()
        // The heading is wider than the 25-pixel panel: the figure widens to hold it.
        XCTAssertEqual(layout.width, font.width(of: o.heading!) + 20)
        let ink = (h.y..<(h.y + 10)).flatMap { y in (h.x..<(layout.width - 10)).map { x in rgb(png, x, y) } }
            .filter { $0 == [0x1E, 0x1E, 0x1E] }.count
        XCTAssertGreaterThan(ink, 300)
        XCTAssertLessThan(h.y + 10, layout.panels[0].titleOrigin!.y + 1)
    }
}
