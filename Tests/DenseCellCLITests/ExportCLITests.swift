import XCTest
import DenseCellCore
@testable import DenseCellIO

/// `densecell export` end to end: the binary writes PNGs that are read back through libpng.
final class ExportCLITests: XCTestCase {
    var dir: String!
    var studyPath: String!
    var study: Study!

    override func setUpWithError() throws {
        dir = CLI.temporaryDirectory()
        studyPath = dir + "/cells.h5"
        // 4 slices of 32×48: background left of x = 8, cell elsewhere, a mitochondrion block
        // (y 4..<12, x 12..<20) in truth that the annotator labels as cell.
        let shape = Shape3(4, 32, 48)
        var image = Volume<Float>(shape: shape, repeating: 0)
        var truth = Volume<UInt8>(shape: shape, repeating: 0)
        var annotator = truth
        for z in 0..<shape.z {
            for y in 0..<shape.y {
                for x in 0..<shape.x {
                    image[z, y, x] = Float((x * 5 + y * 3 + z * 11) % 180 + 40)
                    let cell: UInt8 = x < 8 ? 0 : 1
                    let mito = (4..<12).contains(y) && (12..<20).contains(x)
                    truth[z, y, x] = mito ? 2 : cell
                    annotator[z, y, x] = cell
                }
            }
        }
        study = Study(image: image, resolutionNM: [50, 20, 20], labels: [
            LabelSource(name: "truth", role: .truth, labels: truth),
            LabelSource(name: "annotator-1", role: .annotator, labels: annotator),
        ])
        try StudyFile.write(study, path: studyPath)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func pngs(in directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".png") }.sorted()
    }

    /// The layout the command uses for these options (default heading and titles).
    func layout(_ panes: [Pane], z: Int, options: FigureOptions) throws -> FigureLayout {
        var o = options
        if o.paneTitles && o.heading == nil { o.heading = FigureExport.defaultHeading(studyPath: studyPath, study: study, z: z, options: o) }
        return try Figure.layout(study: study, panes: panes, options: o, font: BitmapFont.standard())
    }

    /// round(g·(1−a) + c·a) per channel.
    func mixed(_ gray: [UInt8], _ hex: UInt32, _ a: Double) -> [UInt8] {
        zip(gray, [(hex >> 16) & 0xFF, (hex >> 8) & 0xFF, hex & 0xFF]).map { UInt8((Double($0) * (1 - a) + Double($1) * a).rounded()) }
    }

    func testOneSliceWithDefaultPanes() throws {
        let out = dir + "/figures"
        let r = try CLI.run(["export", studyPath, "--z", "2", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(pngs(in: out), ["cells-z002-image+truth+annotator-1.png"])
        XCTAssertEqual(r.stdout, out + "/cells-z002-image+truth+annotator-1.png\n")
        let png = try PNGImage.read(path: out + "/" + pngs(in: out)[0])
        let l = try layout([.image, .labels("truth"), .labels("annotator-1")], z: 2, options: FigureOptions())
        XCTAssertEqual(png.width, l.width); XCTAssertEqual(png.height, l.height)
        XCTAssertEqual(png.channels, 3)
        let image = l.panels[0].rect, truth = l.panels[1].rect, annotator = l.panels[2].rect
        XCTAssertEqual(image.width, 48); XCTAssertEqual(image.height, 32)
        // The mitochondrion voxel (6, 14): green over the image in truth, cell blue in the annotator,
        // at the default alpha 0.5; background (3, 2) unpainted.
        let gray = png.pixel(x: image.x + 14, y: image.y + 6)
        XCTAssertEqual(gray[0], gray[1]); XCTAssertEqual(gray[1], gray[2])
        XCTAssertEqual(png.pixel(x: truth.x + 14, y: truth.y + 6), mixed(gray, 0x3BAA5C, 0.5))
        XCTAssertEqual(png.pixel(x: annotator.x + 14, y: annotator.y + 6), mixed(gray, 0x5B8DB8, 0.5))
        XCTAssertEqual(png.pixel(x: truth.x + 2, y: truth.y + 3), png.pixel(x: image.x + 2, y: image.y + 3))
        // The legend has the class swatches below the panels.
        let mito = try XCTUnwrap(l.legend.first { $0.kind == .labelClass(2) })
        XCTAssertEqual(png.pixel(x: mito.swatch.center.x, y: mito.swatch.center.y), [0x3B, 0xAA, 0x5C])
    }

    func testSidePlanesAreDrawnAtTheVoxelsAspectAndMatchTheSlices() throws {
        let out = dir + "/planes"
        var r = try CLI.run(["export", studyPath, "--plane", "xz", "--y", "6", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, out + "/cells-xz-y006-image+truth+annotator-1.png\n")
        r = try CLI.run(["export", studyPath, "--plane", "yz", "--x", "14:16", "--panes", "image,truth", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(pngs(in: out), ["cells-xz-y006-image+truth+annotator-1.png", "cells-yz-x014-image+truth.png", "cells-yz-x015-image+truth.png"])
        r = try CLI.run(["export", studyPath, "--z", "2", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let xy = try PNGImage.read(path: out + "/cells-z002-image+truth+annotator-1.png")
        let xyLayout = try layout([.image, .labels("truth"), .labels("annotator-1")], z: 2, options: FigureOptions())
        // The xz plane at y 6: 4 slices of 50 nm drawn as tall as 10 columns of 20 nm.
        let opened = try OpenedStudy.open(study: studyPath)
        let plane = try opened.plane(.xz, at: 6)
        var o = FigureOptions()
        o.heading = FigureExport.defaultHeading(studyPath: studyPath, study: plane, z: 6, options: o, sliceCount: 32, axis: .xz)
        let l = try Figure.layout(study: plane, panes: [.image, .labels("truth"), .labels("annotator-1")], options: o, font: BitmapFont.standard())
        let xz = try PNGImage.read(path: out + "/cells-xz-y006-image+truth+annotator-1.png")
        XCTAssertEqual(xz.width, l.width); XCTAssertEqual(xz.height, l.height)
        XCTAssertEqual(l.panels[0].rect.width, 48); XCTAssertEqual(l.panels[0].rect.height, 10)
        // Voxel (z 2, y 6, x 14) is row 5 of the xz panels (rows 5.0…7.5 are slice 2) and is drawn
        // exactly as the slice figure draws it: the same gray, the mitochondrion over it in truth.
        for (panel, xyPanel) in zip(l.panels, xyLayout.panels) {
            XCTAssertEqual(xz.pixel(x: panel.rect.x + 14, y: panel.rect.y + 5), xy.pixel(x: xyPanel.rect.x + 14, y: xyPanel.rect.y + 6))
        }
        let gray = xz.pixel(x: l.panels[0].rect.x + 14, y: l.panels[0].rect.y + 5)
        XCTAssertEqual(xz.pixel(x: l.panels[1].rect.x + 14, y: l.panels[1].rect.y + 5), mixed(gray, 0x3BAA5C, 0.5))
        // The yz plane at x 14: columns are y.
        let yz = try PNGImage.read(path: out + "/cells-yz-x014-image+truth.png")
        let yzPlane = try opened.plane(.yz, at: 14)
        XCTAssertEqual(yzPlane.shape, Shape3(1, 4, 32))
        XCTAssertEqual(yzPlane.resolutionNM, [20, 50, 20])
        for z in 0..<4 { for y in 0..<32 { XCTAssertEqual(yzPlane.image[0, z, y], study.image[z, y, 14]) } }
        var yo = FigureOptions()
        yo.heading = FigureExport.defaultHeading(studyPath: studyPath, study: yzPlane, z: 14, options: yo, sliceCount: 48, axis: .yz)
        let yl = try Figure.layout(study: yzPlane, panes: [.image, .labels("truth")], options: yo, font: BitmapFont.standard())
        XCTAssertEqual(yz.width, yl.width); XCTAssertEqual(yz.height, yl.height)
        XCTAssertEqual(yz.pixel(x: yl.panels[1].rect.x + 6, y: yl.panels[1].rect.y + 5), xy.pixel(x: xyLayout.panels[1].rect.x + 14, y: xyLayout.panels[1].rect.y + 6))
        // A plane outside the volume, or the wrong coordinate for the plane, is refused.
        r = try CLI.run(["export", studyPath, "--plane", "xz", "--y", "32", "--out", out])
        XCTAssertEqual(r.status, 2); XCTAssertTrue(r.stderr.contains("--y 32 is outside"), r.stderr)
        r = try CLI.run(["export", studyPath, "--plane", "xz", "--x", "3", "--out", out])
        XCTAssertNotEqual(r.status, 0); XCTAssertTrue(r.stderr.contains("--x does not apply to --plane xz"), r.stderr)
        XCTAssertEqual(pngs(in: out).count, 4, "nothing more written")
    }

    func testRangeWritesOneFilePerSliceWithProgress() throws {
        let out = dir + "/range"
        let r = try CLI.run(["export", studyPath, "--z", "1:4", "--panes", "truth,diff:truth/annotator-1", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let names = (1..<4).map { "cells-z00\($0)-truth+diff-truth-annotator-1.png" }
        XCTAssertEqual(pngs(in: out), names)
        XCTAssertEqual(r.stdout.split(separator: "\n").map(String.init), names.map { out + "/" + $0 })
        XCTAssertTrue(r.stderr.contains("export: 100%"), r.stderr)
        XCTAssertTrue(r.stderr.contains("export: done in"), r.stderr)
        // Each file shows its own slice: the image differs between slices.
        let a = try PNGImage.read(path: out + "/" + names[0]), b = try PNGImage.read(path: out + "/" + names[1])
        XCTAssertNotEqual(a.pixels, b.pixels)
        // The disagreement map marks the mitochondrion the annotator missed in red.
        let l = try layout([.labels("truth"), .disagreement("truth", "annotator-1")], z: 1, options: FigureOptions())
        let diff = l.panels[1].rect, truth = l.panels[0].rect
        let px = a.pixel(x: diff.x + 15, y: diff.y + 8)
        XCTAssertGreaterThan(Int(px[0]), Int(px[2]) + 100, "red: \(px)")
        XCTAssertNotEqual(px, a.pixel(x: truth.x + 15, y: truth.y + 8))
    }

    func testAlphaZeroHideScaleRoiAndNoDecorations() throws {
        let out = dir + "/plain"
        let r = try CLI.run(["export", studyPath, "--z", "0", "--panes", "image,truth", "--alpha", "0",
                             "--no-legend", "--no-titles", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let png = try PNGImage.read(path: out + "/cells-z000-image+truth.png")
        XCTAssertEqual(png.height, 32 + 20)
        XCTAssertEqual(png.width, 2 * 48 + 10 + 20)
        for y in 10..<42 {
            for x in 10..<58 where png.pixel(x: x, y: y) != png.pixel(x: x + 58, y: y) {
                return XCTFail("alpha 0 differs from the image at (\(x), \(y))")
            }
        }

        let r2 = try CLI.run(["export", studyPath, "--z", "3", "--panes", "image,truth", "--roi", "4:12,10:30",
                              "--scale", "2", "--hide", "cell", "--title", "", "--out", out])
        XCTAssertEqual(r2.status, 0, r2.stderr)
        let zoomed = try PNGImage.read(path: out + "/cells-z003-image+truth.png")
        let o = FigureOptions(scale: 2, roiY: 4..<12, roiX: 10..<30, hiddenClasses: [1], heading: "")
        let l = try Figure.layout(study: study, panes: [.image, .labels("truth")], options: o, font: BitmapFont.standard())
        XCTAssertEqual(zoomed.width, l.width); XCTAssertEqual(zoomed.height, l.height)
        XCTAssertEqual(l.panels[0].rect.width, 40); XCTAssertEqual(l.panels[0].rect.height, 16)
        let image = l.panels[0].rect, truth = l.panels[1].rect
        // Voxel (y 4, x 10) is cell, hidden: the image; voxel (5, 13) is mitochondrion: painted.
        XCTAssertEqual(zoomed.pixel(x: truth.x + 1, y: truth.y + 1), zoomed.pixel(x: image.x + 1, y: image.y + 1))
        let g = zoomed.pixel(x: image.x + 6, y: image.y + 2)
        XCTAssertEqual(zoomed.pixel(x: truth.x + 7, y: truth.y + 3), mixed(g, 0x3BAA5C, 0.5))
    }

    func testBadInputIsOneLineStatus2AndWritesNothing() throws {
        let out = dir + "/bad"
        let cases: [([String], String)] = [
            (["--z", "1", "--panes", "image,ensemble"], "no label source \"ensemble\""),
            (["--z", "4"], "outside the volume"),
            (["--z", "3:1"], "--z 3:1"),
            (["--z", "x"], "--z x"),
            (["--z", "1", "--panes", "diff:truth"], "diff:A/B"),
            (["--z", "1", "--panes", "truth,,image"], "empty pane name"),
            (["--z", "1", "--roi", "0:40,0:10"], "--roi"),
            (["--z", "1", "--alpha", "1.5"], "alpha"),
            (["--z", "1", "--hide", "nucleus"], "no such class"),
        ]
        for (args, message) in cases {
            let r = try CLI.run(["export", studyPath] + args + ["--out", out])
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("densecell: "), r.stderr)
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.filter { $0 == "\n" }.count, 1, r.stderr)
            XCTAssertEqual(pngs(in: out), [], "\(args) wrote files")
        }
        let missing = try CLI.run(["export", dir + "/none.h5", "--z", "0", "--out", out])
        XCTAssertEqual(missing.status, 2)
        XCTAssertEqual(missing.stderr, "densecell: \(dir!)/none.h5: no such file\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testHelpHasExamples() throws {
        let r = try CLI.run(["export", "--help"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("densecell export study.h5 --z 37 --out figures"), r.stdout)
    }

    func testImageAndLabelsAsVolumeReferences() throws {
        let out = dir + "/refs"
        let fixtures = CLI.fixtures
        // A TIFF image with labels from an HDF5 dataset; the files are named after the image.
        let r = try CLI.run(["export", "--image", fixtures + "/tifffile-uint8.tif",
                             "--labels", "truth=" + fixtures + "/h5py-dtypes.h5:/labels/truth",
                             "--panes", "image,truth", "--z", "1:3", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(pngs(in: out), ["tifffile-uint8-z001-image+truth.png", "tifffile-uint8-z002-image+truth.png"])
        let png = try PNGImage.read(path: out + "/tifffile-uint8-z001-image+truth.png")
        let truth = try VolumeReader.readLabels(VolumeReference.parse(fixtures + "/h5py-dtypes.h5:/labels/truth"), mapping: LabelMapping(classCount: 7))
        let tiff = try VolumeReader.read(VolumeReference.parse(fixtures + "/tifffile-uint8.tif")).asFloat()
        let study = Study(image: tiff, labels: [LabelSource(name: "truth", role: .truth, labels: truth)])
        var o = FigureOptions()
        o.heading = FigureExport.defaultHeading(studyPath: fixtures + "/tifffile-uint8.tif", study: study, z: 1, options: o)
        let l = try Figure.layout(study: study, panes: [.image, .labels("truth")], options: o, font: BitmapFont.standard())
        XCTAssertEqual(png.width, l.width); XCTAssertEqual(png.height, l.height)
        // Every voxel of the truth panel is its image pixel, mixed with its class color where painted.
        let a = l.panels[0].rect, b = l.panels[1].rect
        let colors: [UInt32?] = [nil, 0x5B8DB8, 0x3BAA5C, 0xF2C14E, 0xE0629B, 0x9B59D0, 0xFF7F0E]
        for y in 0..<32 {
            for x in 0..<40 {
                let gray = png.pixel(x: a.x + x, y: a.y + y)
                let expected = colors[Int(truth[1, y, x])].map { mixed(gray, $0, 0.5) } ?? gray
                XCTAssertEqual(png.pixel(x: b.x + x, y: b.y + y), expected, "(\(y), \(x))")
            }
        }

        // A study source can be replaced; bad references are one-line errors with status 2.
        // (Shapes are checked before values are read: the labels here match the study's 4×32×48.)
        do {   // closed before the command opens it
            let badFile = try HDF5File(path: out + "-bad.h5", mode: .truncate)
            try badFile.writeArray("/labels/bad", dims: [4, 32, 48], data: [UInt8](repeating: 7, count: 4 * 32 * 48), memoryType: .uint8)
        }
        defer { try? FileManager.default.removeItem(atPath: out + "-bad.h5") }
        let bad = try CLI.run(["export", studyPath, "--labels", "truth=" + out + "-bad.h5:/labels/bad",
                               "--z", "0", "--out", out])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("/labels/bad: label value 7 is outside the schema"), bad.stderr)
        let shape = try CLI.run(["export", studyPath, "--labels", "truth=" + fixtures + "/h5py-dtypes.h5:/labels/truth",
                                 "--z", "0", "--out", out])
        XCTAssertEqual(shape.status, 2)
        XCTAssertTrue(shape.stderr.contains("have shape 5×32×40 but the image is 4×32×48"), shape.stderr)
        let noImage = try CLI.run(["export", "--z", "0", "--out", out])
        XCTAssertEqual(noImage.status, 2)
        XCTAssertEqual(pngs(in: out).count, 2)
    }
}
