// The viewer's background pass on a sparse store: counted tile by tile, chunks never written
// counted from their fill values, and every number the same as the same study stored whole.
import DenseCellCore
@testable import DenseCellIO
@testable import DenseCellTUI
import XCTest

final class SparseStoreViewerTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = NSTemporaryDirectory() + "densecell-sparse-viewer-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testASparseStoreCountsAsTheSameStudyStoredWhole() throws {
        // 8×600×600, zero (background, black) except two blocks: most chunks are never written.
        let shape = Shape3(8, 600, 600)
        var image = Volume<Float>(shape: shape, repeating: 0)
        var truth = Volume<UInt8>(shape: shape, repeating: 0), other = Volume<UInt8>(shape: shape, repeating: 0)
        var rng = SplitMix64(seed: 9)
        for z in 0..<4 { for y in 40..<200 { for x in 300..<460 {
            image[z, y, x] = Float(rng.next() % 200) + 10
            truth[z, y, x] = UInt8(rng.next() % 7); other[z, y, x] = rng.next() % 4 == 0 ? UInt8(rng.next() % 7) : truth[z, y, x]
        } } }
        for z in 5..<8 { for y in 520..<600 { for x in 0..<90 { truth[z, y, x] = 2; other[z, y, x] = 3; image[z, y, x] = 90 } } }
        let study = Study(image: image, resolutionNM: [50, 20, 20],
                          labels: [LabelSource(name: "truth", role: .truth, labels: truth),
                                   LabelSource(name: "annotator-1", role: .annotator, labels: other)])
        let h5 = dir + "/s.h5", store = dir + "/s.ome.zarr"
        try StudyFile.write(study, path: h5)
        let opened = try OpenedStudy.open(study: h5)
        try StudyConversion.convert(opened, into: try StudyConversion.destination(store, shape: shape,
                                                                                  options: OMEZarrOptions(zarrVersion: 3, shard: Shape3(4, 512, 512))))

        func counts(_ path: String) throws -> (perSlice: [ConfusionMatrix?], volume: ConfusionMatrix?, histogram: [Int]?, window: GrayWindow) {
            let s = try ViewerSession(study: try OpenedStudy.open(study: path), fileName: "s", provider: nil,
                                      cachePath: ViewerCacheFile.path(forStudy: path))
            defer { s.close() }
            s.send(.resize(cols: 120, rows: 40))
            s.settle()
            let stats = s.data.statistics
            return ((0..<shape.z).map { stats.confusion(0, 1, z: $0) }, stats.confusion(0, 1, z: nil),
                    stats.pass.histogram("truth", z: nil), stats.window)
        }
        let whole = try counts(h5), sparse = try counts(store)
        XCTAssertNotNil(sparse.volume)
        XCTAssertEqual(sparse.perSlice, whole.perSlice)
        XCTAssertEqual(sparse.volume, whole.volume)
        XCTAssertEqual(sparse.volume, Metrics.confusion(truth: truth, prediction: other, classes: 7))
        XCTAssertEqual(sparse.histogram, whole.histogram)
        XCTAssertEqual(sparse.window.lo, whole.window.lo)
        XCTAssertEqual(sparse.window.hi, whole.window.hi)
        // The store was sparse: the converter wrote only the chunks holding something.
        let written = try FileManager.default.subpathsOfDirectory(atPath: store + "/labels/truth/0").filter { $0.hasPrefix("c/") }
        XCTAssertFalse(written.isEmpty)
    }
}
