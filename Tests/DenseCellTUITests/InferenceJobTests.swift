import DenseCellCore
import DenseCellIO
import DenseCellEngine
@testable import DenseCellTUI
import XCTest

final class InferenceJobTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-tui-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// The fake ensemble's answer: truth with the square turned into channel (class 3).
    func answer(_ study: Study) -> Volume<UInt8> { study.labels[0].labels.map { $0 == 2 ? 3 : $0 } }

    func testWholeVolumeFillsTheEnsembleSourceTileByTileAndCaches() throws {
        let study = TestStudies.make()
        let provider = FakeProvider(answer: answer(study))
        let cache = dir + "/study.densecell-cache.h5"
        let s = TestStudies.session(study, cols: 120, rows: 40, provider: provider, cachePath: cache)
        XCTAssertTrue(s.frame().contains("ensemble: fake"))
        s.send(KeyMap.action(for: .char("I"))!)
        XCTAssertTrue(s.isJobRunning)
        XCTAssertNotNil(s.state.job)
        s.waitForJob()
        XCTAssertFalse(s.isJobRunning)
        XCTAssertNil(s.state.job)
        XCTAssertEqual(s.state.sources.last, "ensemble")
        let ensemble = try XCTUnwrap(s.data.ensembleVolumes)
        XCTAssertEqual(ensemble.labels, answer(study))
        XCTAssertTrue(ensemble.mask!.data.allSatisfy { $0 == 1 })
        XCTAssertTrue(s.frame().contains("ensemble done"))
        // Metrics now include the ensemble: pairwise lists it.
        s.send(.cycleMetricsTab)
        XCTAssertTrue(s.frame().contains("ensemble"))
        // A second `I` is answered from memory.
        s.send(.runInference(.wholeVolume))
        XCTAssertFalse(s.isJobRunning)
        XCTAssertEqual(provider.calls.count, 1)
        XCTAssertTrue(s.frame().contains("cached"))

        // The sidecar file brings the results back in a new session with the same models…
        s.flushExports()
        XCTAssertTrue(FileManager.default.fileExists(atPath: cache))
        let again = TestStudies.session(study, provider: FakeProvider(answer: answer(study)), cachePath: cache)
        XCTAssertEqual(again.data.ensembleVolumes?.labels, answer(study))
        XCTAssertEqual(again.state.sources.last, "ensemble")
        // …but not with other models.
        let other = TestStudies.session(study, provider: FakeProvider(answer: answer(study), key: "other-models"), cachePath: cache)
        XCTAssertNil(other.data.ensembleVolumes)
        // No temporary files are left behind.
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(files, ["study.densecell-cache.h5"])
    }

    func testVisibleRegionOfAnXZPlaneRunsThatPlane() throws {
        let study = TestStudies.make()
        let provider = FakeProvider(answer: answer(study))
        let s = TestStudies.session(study, cols: 120, rows: 40, provider: provider)
        s.send(.cyclePlane)
        s.send(.goToPlane(30))
        s.send(.runInference(.visibleRegion))
        s.waitForJob()
        let roi = try XCTUnwrap(provider.calls.first)
        XCTAssertEqual(roi, Box3(z: 0..<study.shape.z, y: 30..<31, x: 0..<study.shape.x), "the whole xz plane at y 30 is in view")
        let mask = try XCTUnwrap(s.data.ensembleVolumes?.mask)
        XCTAssertEqual(mask.data.reduce(0) { $0 + Int($1) }, roi.shape.count, "exactly that plane is marked done")
        // The ensemble pane of that plane then shows the answer.
        s.settle()
        let frame = s.prepareFrame()
        let e = try XCTUnwrap(frame.sourceIndex("ensemble"))
        for z in 0..<study.shape.z { for x in stride(from: 0, to: study.shape.x, by: 7) {
            XCTAssertEqual(frame.label(e, .xz, z: z, y: 30, x: x), Int(answer(study)[z, 30, x]))
        } }
    }

    func testVisibleRegionRunsOnlyWhatIsShown() throws {
        let study = TestStudies.make()
        let provider = FakeProvider(answer: answer(study))
        let s = TestStudies.session(study, cols: 120, rows: 40, provider: provider)
        for _ in 0..<6 { s.send(.zoomIn) }
        s.send(.goToSlice(2))
        let v = try XCTUnwrap(Layout(s.state).visibleRegion(s.state))
        s.send(.runInference(.visibleRegion))
        s.waitForJob()
        let roi = try XCTUnwrap(provider.calls.first)
        XCTAssertEqual(roi.z, 2..<3)
        XCTAssertLessThan(roi.shape.count, study.shape.planeCount, "zoomed in, only part of the slice is visible")
        XCTAssertEqual(roi.y, v.y); XCTAssertEqual(roi.x, v.x)
        let mask = try XCTUnwrap(s.data.ensembleVolumes?.mask)
        XCTAssertEqual(mask.data.reduce(0) { $0 + Int($1) }, roi.shape.count, "exactly the region is marked done")
        // Metrics of the pair with the partial ensemble count only the finished region.
        let e = try XCTUnwrap(s.data.sources.index(of: "ensemble"))
        s.settle()
        XCTAssertEqual(s.data.statistics.confusion(0, e, z: nil)?.total, roi.shape.count)
    }

    func testCancelKeepsFinishedTilesAndReportsIt() throws {
        let study = TestStudies.make()
        let provider = FakeProvider(answer: answer(study), delay: 0.02)
        let s = TestStudies.session(study, provider: provider)
        s.send(.runInference(.wholeVolume))
        // Wait for a few tiles, then cancel with `c`.
        let deadline = Date().addingTimeInterval(10)
        while (s.data.ensembleVolumes?.mask?.data.reduce(0) { $0 + Int($1) } ?? 0) < 3 * 256 && Date() < deadline {
            s.applyBackgroundEvents(); Thread.sleep(forTimeInterval: 0.01)
        }
        s.send(KeyMap.action(for: .char("c"))!)
        XCTAssertEqual(s.state.job?.cancelling, true)
        XCTAssertTrue(s.frame().contains("cancelling"))
        s.waitForJob()
        XCTAssertNil(s.state.job)
        XCTAssertTrue(s.frame().contains("ensemble cancelled"))
        let done = try XCTUnwrap(s.data.ensembleVolumes?.mask).data.reduce(0) { $0 + Int($1) }
        XCTAssertGreaterThan(done, 0)
        XCTAssertLessThan(done, study.shape.count)
        // Finished tiles hold the provider's labels.
        let e = try XCTUnwrap(s.data.ensembleVolumes)
        for i in e.labels.data.indices where e.mask!.data[i] != 0 { XCTAssertEqual(e.labels.data[i], answer(study).data[i]) }
    }

    func testProgressAppearsInTheFooterWhileRunning() throws {
        let study = TestStudies.make()
        let s = TestStudies.session(study, provider: FakeProvider(answer: answer(study), delay: 0.01))
        s.send(.runInference(.wholeVolume))
        let deadline = Date().addingTimeInterval(10)
        while (s.state.job?.voxelsDone ?? 0) == 0 && Date() < deadline { s.applyBackgroundEvents(); Thread.sleep(forTimeInterval: 0.01) }
        let footer = s.frame().text(row: 23)
        XCTAssertTrue(footer.contains("ensemble (whole volume)"), footer)
        XCTAssertTrue(footer.contains("%"))
        XCTAssertTrue(footer.contains("c cancel"))
        s.send(.cancelJob)
        s.waitForJob()
    }

    func testWithoutModelsInferenceExplainsItself() {
        let s = TestStudies.session()
        XCTAssertTrue(s.frame().text(row: 23).contains("no models loaded"))
        s.send(.runInference(.visibleRegion))
        XCTAssertFalse(s.isJobRunning)
        XCTAssertTrue(s.frame().text(row: 23).contains("--models"))
    }

    func testSidecarPathSitsBesideTheStudy() {
        XCTAssertEqual(ViewerCacheFile.path(forStudy: "/data/platelet.h5"), "/data/platelet.densecell-cache.h5")
        XCTAssertEqual(ViewerCacheFile.path(forStudy: "study.h5"), "study.densecell-cache.h5")
    }
}

final class ExportKeyTests: XCTestCase {
    func testExportWritesThePanesAsPNGNamedByStudyZAndPanes() throws {
        let dir = NSTemporaryDirectory() + "densecell-export-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try ViewerSession(study: TestStudies.make(), fileName: "platelet.h5", provider: nil, cachePath: nil,
                              studyPath: "/data/platelet.h5", exportDirectory: dir)
        s.send(.resize(cols: 80, rows: 24))
        s.send(.goToSlice(3))
        s.send(KeyMap.action(for: .char("e"))!)
        let expected = dir + "/platelet-z003-image+truth+annotator-1.png"
        s.flushExports()
        s.applyBackgroundEvents()
        XCTAssertTrue(s.frame().contains("wrote"), s.frame().text(row: 23))
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: expected))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR width: three panels of the 64-pixel-wide slice side by side, at least.
        let width = bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertGreaterThanOrEqual(width, 3 * 64)
    }
}

/// A provider whose models cannot run.
final class FailingProvider: SegmentationProvider, @unchecked Sendable {
    struct Broken: Error, CustomStringConvertible { var description: String { "model.h5: weights do not match the architecture" } }
    let cacheKey = "broken", summary = "broken"
    func segment(_ image: VolumeSource, roi: Box3, normalization: (mean: Float, std: Float)?, cancellation: CancelToken,
                 progress: @escaping @Sendable (Int, Int, SegmentationTile?) -> Void) throws {
        throw Broken()
    }
}

final class JobErrorTests: XCTestCase {
    func testAFailingEnsembleSaysWhyAndLeavesTheViewUsable() {
        let s = TestStudies.session(provider: FailingProvider())
        s.send(.runInference(.wholeVolume))
        s.waitForJob()
        XCTAssertNil(s.state.job)
        XCTAssertTrue(s.frame().text(row: 23).contains("ensemble failed: model.h5: weights do not match"), s.frame().text(row: 23))
        XCTAssertNil(s.data.ensembleVolumes)
        s.send(.nextSlice)
        XCTAssertEqual(s.state.z, 1)
    }

    func testOneJobAtATime() {
        let study = TestStudies.make()
        let provider = FakeProvider(answer: study.labels[0].labels, delay: 0.01)
        let s = TestStudies.session(study, cols: 120, rows: 40, provider: provider)
        s.send(.runInference(.wholeVolume))
        s.send(.runInference(.visibleRegion))
        XCTAssertTrue(s.frame().text(row: 39).contains("a job is already running"), s.frame().text(row: 39))
        // Keys keep working while the job runs.
        s.send(.nextSlice)
        XCTAssertEqual(s.state.z, 1)
        s.send(.cancelJob)
        s.waitForJob()
        XCTAssertEqual(provider.calls.count, 1)
    }
}
