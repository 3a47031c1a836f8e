// Viewer tests: actions in, screen grids out; no terminal needed.
import DenseCellCore
import DenseCellIO
import DenseCellEngine
@testable import DenseCellTUI
import XCTest

/// Small studies with known content.
enum TestStudies {
    /// An image with a gradient and three sources: truth has a square of class 2 and a disc of
    /// class 4 on a cell; annotator-1 shifts the square by `shift` pixels on odd slices;
    /// annotator-2 labels the disc as class 5 (a different organelle) on slices ≥ 4.
    static func make(shape: Shape3 = Shape3(8, 48, 64), shift: Int = 2) -> Study {
        var image = Volume<Float>(shape: shape, repeating: 0)
        var truth = Volume<UInt8>(shape: shape, repeating: 0)
        for z in 0..<shape.z { for y in 0..<shape.y { for x in 0..<shape.x {
            image[z, y, x] = Float((x * 3 + y * 2 + z * 5) % 256)
            let inCell = y >= 4 && y < shape.y - 4 && x >= 4 && x < shape.x - 4
            if inCell { truth[z, y, x] = 1 }
            if y >= 10 && y < 20 && x >= 10 && x < 22 { truth[z, y, x] = 2 }
            let dy = y - 30, dx = x - 40
            if dy * dy + dx * dx <= 36 && inCell { truth[z, y, x] = 4 }
        } } }
        var a1 = Volume<UInt8>(shape: shape, repeating: 0)
        var a2 = truth
        for z in 0..<shape.z { for y in 0..<shape.y { for x in 0..<shape.x {
            let sx = z % 2 == 1 ? x - shift : x
            a1[z, y, x] = sx >= 0 && sx < shape.x ? truth[z, y, sx] : 0
            if z >= 4 && truth[z, y, x] == 4 { a2[z, y, x] = 5 }
        } } }
        return Study(image: image, labels: [
            LabelSource(name: "truth", role: .truth, labels: truth),
            LabelSource(name: "annotator-1", role: .annotator, labels: a1),
            LabelSource(name: "annotator-2", role: .annotator, labels: a2),
        ])
    }

    static func session(_ study: Study = make(), cols: Int = 80, rows: Int = 24, provider: SegmentationProvider? = nil,
                        cachePath: String? = nil) -> ViewerSession {
        let s = try! ViewerSession(study: study, fileName: "test.h5", provider: provider, cachePath: cachePath)
        s.send(.resize(cols: cols, rows: rows))
        return s
    }
}

extension ScreenGrid {
    /// Whether any row contains `text`.
    func contains(_ text: String) -> Bool { (0..<height).contains { self.text(row: $0).contains(text) } }
    func row(containing text: String) -> Int? { (0..<height).first { self.text(row: $0).contains(text) } }
}

/// Segments by copying a fixed answer, tile by tile (one z-slab of each 16×16 block at a time),
/// optionally waiting between tiles so tests can cancel mid-way.
final class FakeProvider: SegmentationProvider, @unchecked Sendable {
    let answer: Volume<UInt8>
    let cacheKey: String
    let delay: TimeInterval
    let summary = "fake"
    private let lock = NSLock()
    private var _calls: [Box3] = []
    var calls: [Box3] { lock.lock(); defer { lock.unlock() }; return _calls }

    init(answer: Volume<UInt8>, key: String = "fake-models", delay: TimeInterval = 0) {
        self.answer = answer; cacheKey = key; self.delay = delay
    }

    func segment(_ image: VolumeSource, roi: Box3, normalization: (mean: Float, std: Float)?, cancellation: CancelToken,
                 progress: @escaping @Sendable (Int, Int, SegmentationTile?) -> Void) throws {
        lock.lock(); _calls.append(roi); lock.unlock()
        var done = 0
        for z in roi.z {
            for y in stride(from: roi.y.lowerBound, to: roi.y.upperBound, by: 16) {
                for x in stride(from: roi.x.lowerBound, to: roi.x.upperBound, by: 16) {
                    try cancellation.throwIfCancelled()
                    if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                    let box = Box3(z: z..<(z + 1), y: y..<min(y + 16, roi.y.upperBound), x: x..<min(x + 16, roi.x.upperBound))
                    done += box.shape.count
                    progress(done, roi.shape.count, SegmentationTile(box: box, labels: answer.extract(box)))
                }
            }
        }
        _ = answer
    }
}

/// Whole volumes read back through the viewer's readers (test studies are small), to check
/// what the panes and metrics show against.
extension ViewerData {
    var imageVolume: Volume<Float> { try! opened.image.readImage(opened.image.bounds) }

    /// Every source (labels and mask) as a whole volume, in the viewer's order.
    var sourceVolumes: [LabelSource] {
        sources.list.map { s in
            LabelSource(name: s.name, role: s.role, labels: try! reader(s.labels).readLabels(opened.image.bounds, mapping: schema.mapping),
                        mask: s.mask.map { try! reader($0).readMask(opened.image.bounds) })
        }
    }

    /// The ensemble source's labels and done mask, or nil before any result.
    var ensembleVolumes: LabelSource? { sourceVolumes.first { $0.name == SourceTable.ensembleName } }

    /// The whole study as the viewer holds it (image and every source).
    var wholeStudy: Study { Study(image: imageVolume, labels: sourceVolumes, schema: schema) }
}
