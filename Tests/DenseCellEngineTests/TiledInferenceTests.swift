import XCTest
import DenseCellCore
import DenseCellIO
import Foundation
@testable import DenseCellEngine

/// A per-voxel "network": class c gets softmax(a_c · v + b_c). Tiling, blending, reflection and
/// flips must give back exactly the direct evaluation for it, seams included.
final class PointwisePredictor: WindowPredictor {
    let a: [Float], b: [Float]
    init(a: [Float], b: [Float]) { self.a = a; self.b = b }
    var classes: Int { a.count }
    func probabilities(_ v: Float) -> [Float] {
        let logits = zip(a, b).map { Double($0 * v + $1) }
        let m = logits.max()!
        let e = logits.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }
    func predict(_ image: UnsafeBufferPointer<Float>, window: Shape3, into out: UnsafeMutableBufferPointer<Float>) throws {
        for v in 0..<window.count {
            let p = probabilities(image[v])
            for c in 0..<classes { out[c * window.count + v] = p[c] }
        }
    }
}

final class TiledInferenceTests: XCTestCase {
    func randomImage(_ shape: Shape3, seed: UInt64) -> Volume<Float> {
        var r = TestRandom(seed)
        return Volume(shape: shape, data: r.array(shape.count, 0, 255))
    }

    /// Runs the tiler over an in-memory volume and gathers the region's probabilities (classes, roi).
    func tile(_ predictors: [WindowPredictor], _ image: Volume<Float>, roi: Box3, window: Shape3, tta: Bool = false,
              reads: inout [Range<Int>]) throws -> (labels: [UInt8], probabilities: [Float]) {
        let t = TiledInference(predictors: predictors, volume: image.shape, roi: roi, window: window, tta: tta,
                               normalization: .of(image), wantProbabilities: true)
        let C = predictors[0].classes, plane = roi.y.count * roi.x.count
        var labels = [UInt8](repeating: 255, count: roi.shape.count)
        var probabilities = [Float](repeating: -1, count: C * roi.shape.count)
        var next = roi.z.lowerBound
        var seen: [Range<Int>] = []
        try t.run(read: { z in seen.append(z); return image.extract(Box3(z: z, y: 0..<image.shape.y, x: 0..<image.shape.x)) },
                  emit: { slab in
                      XCTAssertEqual(slab.z.lowerBound, next, "slabs arrive in order without gaps")
                      next = slab.z.upperBound
                      let z0 = slab.z.lowerBound - roi.z.lowerBound, n = slab.z.count
                      for i in 0..<(n * plane) { labels[z0 * plane + i] = slab.labels.data[i] }
                      for c in 0..<C { for i in 0..<(n * plane) {
                          probabilities[(c * roi.z.count + z0) * plane + i] = slab.probabilities![c * n * plane + i]
                      } }
                  }, cancel: nil, progress: nil)
        XCTAssertEqual(next, roi.z.upperBound)
        reads = seen
        return (labels, probabilities)
    }

    func testTilingBlendsBackToThePointwiseResultEverywhere() throws {
        let p = PointwisePredictor(a: [0.5, -0.3, 0.1, 0.9], b: [0, 0.2, -0.1, -0.6])
        let q = PointwisePredictor(a: [-0.2, 0.4, 0.3, 0.0], b: [0.1, 0, 0, 0.3])
        // Odd sizes, an ROI, a volume thinner than the window in z, windows larger than the ROI.
        let cases: [(Shape3, Box3?, Shape3, Bool)] = [
            (Shape3(11, 37, 45), nil, Shape3(5, 16, 16), false),
            (Shape3(11, 37, 45), Box3(z: 3..<9, y: 5..<30, x: 10..<41), Shape3(5, 16, 12), true),
            (Shape3(3, 20, 20), nil, Shape3(5, 8, 8), false),
            (Shape3(1, 10, 6), nil, Shape3(5, 16, 16), true),
        ]
        for (shape, roiOrNil, window, tta) in cases {
            let image = randomImage(shape, seed: 1)
            let roi = roiOrNil ?? Box3(shape: shape)
            let n = InputNormalization.of(image)
            var reads: [Range<Int>] = []
            let got = try tile([p, q], image, roi: roi, window: window, tta: tta, reads: &reads)
            var worst: Float = 0
            var labelErrors = 0
            var i = 0
            let count = roi.shape.count
            for z in roi.z { for y in roi.y { for x in roi.x {
                let v = (image[z, y, x] - n.mean) * (1 / n.std)
                let want = zip(p.probabilities(v), q.probabilities(v)).map { ($0 + $1) / 2 }
                for c in 0..<4 { worst = max(worst, abs(got.probabilities[c * count + i] - want[c])) }
                if Int(got.labels[i]) != want.indices.max(by: { want[$0] < want[$1] })! { labelErrors += 1 }
                i += 1
            } } }
            XCTAssertLessThan(worst, 1e-5, "\(shape) roi \(roi) window \(window)")
            XCTAssertLessThanOrEqual(labelErrors, 0)
            // Streaming: never more than one window's depth of slices is read at once.
            XCTAssertLessThanOrEqual(reads.map(\.count).max()!, min(window.z, shape.z))
        }
    }

    func testOneWindowVolumeIsExactlyTheNetworkOutput() throws {
        var r = TestRandom(20)
        let model = r.model(Architecture(width: 8), seed: 3)
        let shape = Shape3(5, 32, 24)
        let image = randomImage(shape, seed: 2)
        let ensemble = try Ensemble(models: [model])
        let seg = try ensemble.segment(image, options: InferenceOptions(window: shape, precision: .f32), wantProbabilities: true)

        let n = InputNormalization.of(image)
        let input = image.data.map { ($0 - n.mean) * (1 / n.std) }
        var direct = [Float](repeating: 0, count: 7 * shape.count)
        let network = try CompiledNetwork(model, shape: shape, precision: .f32)
        try input.withUnsafeBufferPointer { i in try direct.withUnsafeMutableBufferPointer { o in try network.run(image: i, probabilities: o) } }
        XCTAssertEqual(seg.probabilities!.map(\.bitPattern), direct.map(\.bitPattern))
        for v in 0..<shape.count {
            let p = (0..<7).map { direct[$0 * shape.count + v] }
            XCTAssertEqual(Int(seg.labels.data[v]), p.indices.max { p[$0] < p[$1] }!)
        }
    }

    func testEnsembleAveragesItsModels() throws {
        var r = TestRandom(21)
        let a = r.model(Architecture(width: 8), seed: 4), b = r.model(Architecture(width: 8), seed: 5)
        let image = randomImage(Shape3(7, 40, 36), seed: 3)
        let options = InferenceOptions(window: Shape3(5, 16, 16))
        let pa = try Ensemble(models: [a]).segment(image, options: options, wantProbabilities: true).probabilities!
        let pb = try Ensemble(models: [b]).segment(image, options: options, wantProbabilities: true).probabilities!
        let pab = try Ensemble(models: [a, b]).segment(image, options: options, wantProbabilities: true).probabilities!
        let paa = try Ensemble(models: [a, a]).segment(image, options: options, wantProbabilities: true).probabilities!
        XCTAssertLessThan(maxRelativeError(pab, zip(pa, pb).map { ($0 + $1) / 2 }), 1e-5)
        // An ensemble of one model is that model.
        XCTAssertLessThan(maxRelativeError(paa, pa), 1e-6)
        XCTAssertGreaterThan(maxRelativeError(pa, pb), 0.01, "different models disagree somewhere")
    }

    /// Tiled windows against one window over the whole volume: the same network, so the
    /// probabilities agree closely in the interior of the volume, far from the window seams'
    /// zero padding (the receptive field is ~45 pixels in y and x).
    func testTiledMatchesSingleWindowAwayFromSeams() throws {
        var r = TestRandom(22)
        let model = r.model(Architecture(width: 8), seed: 6)
        let shape = Shape3(5, 160, 160)
        let image = randomImage(shape, seed: 4)
        let ensemble = try Ensemble(models: [model])
        let whole = try ensemble.segment(image, options: InferenceOptions(window: shape, precision: .f32), wantProbabilities: true)
        let tiled = try ensemble.segment(image, options: InferenceOptions(window: Shape3(5, 128, 128), precision: .f32),
                                         wantProbabilities: true)
        // Windows start at 0 and 32: voxels 64..<96 are ≥ 32 pixels from every window edge in y and x.
        var worst: Float = 0, agree = 0, n = 0
        for z in 0..<5 { for y in 64..<96 { for x in 64..<96 {
            let v = (z * 160 + y) * 160 + x
            for c in 0..<7 { worst = max(worst, abs(whole.probabilities![c * shape.count + v] - tiled.probabilities![c * shape.count + v])) }
            if whole.labels.data[v] == tiled.labels.data[v] { agree += 1 }
            n += 1
        } } }
        print("tiled vs single window, interior: max |Δp| = \(worst), labels agree \(agree)/\(n)")
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(n), 0.99)
    }

    /// A volume thinner than the window: the network sees the z-reflected volume.
    func testReflectionPaddingInZ() throws {
        var r = TestRandom(23)
        let model = r.model(Architecture(width: 8), seed: 7)
        let image = randomImage(Shape3(2, 16, 16), seed: 5)
        let seg = try Ensemble(models: [model]).segment(image, options: InferenceOptions(window: Shape3(5, 16, 16), precision: .f32),
                                                        wantProbabilities: true)
        // One window starting at z = −1: slices (1, 0, 1, 0, 1).
        let n = InputNormalization.of(image)
        var input: [Float] = []
        for z in [1, 0, 1, 0, 1] { input += image.plane(z).map { ($0 - n.mean) * (1 / n.std) } }
        let network = try CompiledNetwork(model, shape: Shape3(5, 16, 16), precision: .f32)
        var out = [Float](repeating: 0, count: 7 * 5 * 256)
        try input.withUnsafeBufferPointer { i in try out.withUnsafeMutableBufferPointer { o in try network.run(image: i, probabilities: o) } }
        for c in 0..<7 { for z in 0..<2 { for v in 0..<256 {
            XCTAssertEqual(seg.probabilities![(c * 2 + z) * 256 + v], out[(c * 5 + z + 1) * 256 + v], accuracy: 1e-6)
        } } }
    }

    /// Blocks computed apart are the slices of one run over the whole region, bit for bit, for
    /// every block count the grid allows, with and without overlap and a region of interest.
    func testBlocksComputedApartEqualOneRun() throws {
        var r = TestRandom(25)
        let model = r.model(Architecture(width: 4), seed: 9)
        let image = randomImage(Shape3(17, 24, 20), seed: 7)
        let ensemble = try Ensemble(models: [model])
        let normalization = InputNormalization.of(image)
        for (roi, overlap) in [(Box3(shape: image.shape), 0.5), (Box3(z: 2..<15, y: 3..<21, x: 0..<20), 0.0),
                               (Box3(shape: image.shape), 0.25)] {
            let options = InferenceOptions(window: Shape3(5, 16, 16), overlap: overlap, precision: .f32)
            func run(_ block: Range<Int>?) throws -> (z: Range<Int>, labels: [UInt8], probabilities: [Float]) {
                var z: Range<Int>? = nil, labels: [UInt8] = [], probabilities: [[Float]] = Array(repeating: [], count: 7)
                let plane = roi.y.count * roi.x.count
                try ensemble.segmentStreaming(volume: image.shape, normalization: normalization, roi: roi, options: options,
                                              block: block, wantProbabilities: true, cancel: nil,
                                              read: { image.extract(Box3(z: $0, y: 0..<image.shape.y, x: 0..<image.shape.x)) },
                                              emit: { slab in
                                                  z = (z?.lowerBound ?? slab.z.lowerBound)..<slab.z.upperBound
                                                  labels += slab.labels.data
                                                  let n = slab.z.count * plane
                                                  for c in 0..<7 { probabilities[c] += slab.probabilities![(c * n)..<((c + 1) * n)] }
                                              }, progress: nil)
                return (z!, labels, probabilities.flatMap { $0 })
            }
            let whole = try run(nil)
            XCTAssertEqual(whole.z, roi.z)
            let grid = TileGrid(volume: image.shape, roi: roi, window: Shape3(5, 16, 16), overlap: overlap)
            XCTAssertThrowsError(try Ensemble.blocks(grid.zStarts.count + 1, volume: image.shape, roi: roi, options: options))
            for count in [1, 2, 3, grid.zStarts.count] {
                let blocks = try Ensemble.blocks(count, volume: image.shape, roi: roi, options: options)
                XCTAssertEqual(blocks.count, count)
                XCTAssertEqual(blocks.first!.lowerBound, roi.z.lowerBound); XCTAssertEqual(blocks.last!.upperBound, roi.z.upperBound)
                for (a, b) in zip(blocks, blocks.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound); XCTAssertFalse(a.isEmpty) }
                var labels: [UInt8] = [], probabilities: [[Float]] = Array(repeating: [], count: 7)
                for block in blocks {
                    let part = try run(block)
                    XCTAssertEqual(part.z, block)
                    labels += part.labels
                    let n = part.labels.count
                    for c in 0..<7 { probabilities[c] += part.probabilities[(c * n)..<((c + 1) * n)] }
                }
                XCTAssertEqual(labels, whole.labels, "\(count) blocks, overlap \(overlap), roi \(roi)")
                XCTAssertEqual(probabilities.flatMap { $0 }.map(\.bitPattern), whole.probabilities.map(\.bitPattern))
            }
        }
    }

    func testWindowShrinksToSmallVolumes() {
        XCTAssertEqual(Ensemble.effectiveWindow(Shape3(5, 256, 256), volume: Shape3(2, 100, 37)), Shape3(5, 100, 40))
        XCTAssertEqual(Ensemble.effectiveWindow(Shape3(5, 256, 256), volume: Shape3(48, 384, 384)), Shape3(5, 256, 256))
    }

    func testProgressCancelAndRegionOfInterest() throws {
        var r = TestRandom(24)
        let model = r.model(Architecture(width: 8), seed: 8)
        let image = randomImage(Shape3(9, 40, 40), seed: 6)
        let ensemble = try Ensemble(models: [model])
        let roi = Box3(z: 2..<8, y: 4..<36, x: 0..<20)
        var finished: [(Box3, Volume<UInt8>)] = []
        var last = 0
        let seg = try ensemble.segment(image, roi: roi, options: InferenceOptions(window: Shape3(5, 16, 16))) { p in
            XCTAssertGreaterThanOrEqual(p.voxelsDone, last); last = p.voxelsDone
            XCTAssertEqual(p.voxelsTotal, roi.shape.count)
            if let box = p.finished { finished.append((box, p.finishedLabels!)) }
        }
        XCTAssertEqual(last, roi.shape.count)
        XCTAssertEqual(seg.labels.shape, roi.shape)
        XCTAssertEqual(finished.map(\.0.z.count).reduce(0, +), roi.z.count)
        for (box, labels) in finished {
            XCTAssertEqual(box.y, roi.y); XCTAssertEqual(box.x, roi.x)
            let inRoi = Box3(z: (box.z.lowerBound - 2)..<(box.z.upperBound - 2), y: 0..<roi.y.count, x: 0..<roi.x.count)
            XCTAssertEqual(seg.labels.extract(inRoi), labels)
        }
        let token = CancelToken()
        token.cancel()
        XCTAssertThrowsError(try ensemble.segment(image, cancel: token)) { error in
            XCTAssertEqual(error as? CancelledError, CancelledError())
        }
        do { _ = try ensemble.segment(image, cancel: token); XCTFail("not cancelled") }
        catch is CancelledError {}
        // The normalization pass stops with the same error.
        let source = MemoryVolume(.float32(image), name: "image")
        XCTAssertThrowsError(try InputNormalization.of(source, cancel: token)) { XCTAssertTrue($0 is CancelledError, "\($0)") }
        XCTAssertEqual(try InputNormalization.of(source, cancel: CancelToken()), InputNormalization.of(image))
    }
}

final class TileGridTests: XCTestCase {
    func testWindowStartsCoverTheRangeFlushAtTheEnd() {
        XCTAssertEqual(TileGrid.starts(0..<48, window: 5, step: 2, length: 48), Array(stride(from: 0, through: 42, by: 2)) + [43])
        XCTAssertEqual(TileGrid.starts(0..<384, window: 256, step: 128, length: 384), [0, 128])
        XCTAssertEqual(TileGrid.starts(0..<256, window: 256, step: 128, length: 256), [0])
        // Short ranges: centred, pulled inside the volume when it is long enough, else reflected.
        XCTAssertEqual(TileGrid.starts(10..<12, window: 5, step: 2, length: 48), [9])
        XCTAssertEqual(TileGrid.starts(0..<2, window: 5, step: 2, length: 48), [0])
        XCTAssertEqual(TileGrid.starts(0..<2, window: 5, step: 2, length: 2), [-1])
        XCTAssertEqual((-3..<6).map { BoundaryMode.mirror.index($0, count: 3) }, [1, 2, 1, 0, 1, 2, 1, 0, 1])
        XCTAssertEqual(BoundaryMode.mirror.index(-4, count: 1), 0)
    }

    func testOverlapSetsTheStep() {
        // 0.5 keeps the half-window steps (2×128×128 for 5×256×256); 0 tiles edge to edge.
        XCTAssertEqual([0.0, 0.25, 0.5, 0.75].map { TileGrid.step(256, overlap: $0) }, [256, 192, 128, 64])
        XCTAssertEqual([0.0, 0.25, 0.5, 0.75, 0.99].map { TileGrid.step(5, overlap: $0) }, [5, 3, 2, 1, 1])
        let none = TileGrid(volume: Shape3(48, 512, 512), roi: Box3(shape: Shape3(48, 512, 512)), window: Shape3(5, 256, 256), overlap: 0)
        XCTAssertEqual(none.yStarts, [0, 256])
        XCTAssertEqual(none.zStarts, Array(stride(from: 0, through: 40, by: 5)) + [43])
        let half = TileGrid(volume: Shape3(48, 512, 512), roi: Box3(shape: Shape3(48, 512, 512)), window: Shape3(5, 256, 256), overlap: 0.5)
        XCTAssertEqual(half.yStarts, [0, 128, 256])
        XCTAssertEqual(half.zStarts, Array(stride(from: 0, through: 42, by: 2)) + [43])
        // Blocks cut at window starts and cover the slices once.
        XCTAssertEqual(none.blocks(3), [0..<15, 15..<30, 30..<48])
        XCTAssertEqual(none.blocks(10), zip(none.zStarts, none.zStarts.dropFirst() + [48]).map { $0..<$1 })
        XCTAssertNil(none.blocks(11))
        // Cuts near an even split: 13 slices, starts 0, 2, 4, 6, 8.
        let small = TileGrid(volume: Shape3(13, 64, 64), roi: Box3(shape: Shape3(13, 64, 64)), window: Shape3(5, 32, 32), overlap: 0.5)
        XCTAssertEqual(small.blocks(3), [0..<4, 4..<8, 8..<13])
    }

    /// Overlapping window rows read each slice once, and get exactly the slices asked for.
    func testSlabCacheReadsOnlyNewSlices() throws {
        let volume = Volume(shape: Shape3(12, 3, 4), data: (0..<(12 * 12)).map(Float.init))
        let cache = SlabCache(y: 3, x: 4)
        var reads: [Range<Int>] = []
        for range in [0..<5, 2..<7, 4..<9, 4..<9, 6..<11, 7..<12, 1..<3] {
            let slab = try cache.read(range) { z in reads.append(z); return volume.extract(Box3(z: z, y: 0..<3, x: 0..<4)) }
            XCTAssertEqual(slab, volume.extract(Box3(z: range, y: 0..<3, x: 0..<4)), "\(range)")
        }
        XCTAssertEqual(reads, [0..<5, 5..<7, 7..<9, 9..<11, 11..<12, 1..<3])
    }

    func testWeightTotalsAreTheSumOverWindows() {
        let grid = TileGrid(volume: Shape3(9, 40, 40), roi: Box3(z: 1..<8, y: 0..<40, x: 3..<37), window: Shape3(5, 16, 16))
        for (axis, range, starts, g, total) in [(0, grid.roi.z, grid.zStarts, grid.gz, grid.totalZ),
                                               (1, grid.roi.y, grid.yStarts, grid.gy, grid.totalY),
                                               (2, grid.roi.x, grid.xStarts, grid.gx, grid.totalX)] {
            for (n, i) in range.enumerated() {
                let want = starts.filter { $0 <= i && i < $0 + g.count }.map { Double(g[i - $0]) }.reduce(0, +)
                XCTAssertGreaterThan(want, 0, "axis \(axis) index \(i) is covered")
                XCTAssertEqual(Double(total[n]), want, accuracy: 1e-6 * want)
            }
        }
        // nnU-Net's map: σ = 1/8 of the window, largest weight 1 at the centre.
        XCTAssertEqual(TileGrid.gaussian(16).max(), TileGrid.gaussian(16)[7])
        XCTAssertEqual(Double(TileGrid.gaussian(5)[2]), 1, accuracy: 1e-7)
        XCTAssertEqual(Double(TileGrid.gaussian(16)[0]), exp(-7.5 * 7.5 / 8), accuracy: 1e-6)
    }

    func testStreamingStatisticsMatchTheWholeVolume() {
        var r = TestRandom(50)
        let data = r.array(200_000, 0, 255)
        var acc = InputNormalization.Accumulator()
        acc.add(Array(data[0..<70_000])); acc.add(Array(data[70_000...]))
        let mean = data.reduce(0.0) { $0 + Double($1) } / Double(data.count)
        let variance = data.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(data.count)
        XCTAssertEqual(Double(acc.result.mean), mean, accuracy: 1e-4)
        XCTAssertEqual(Double(acc.result.std), variance.squareRoot(), accuracy: 1e-4)
        XCTAssertEqual(InputNormalization(mean: 3, std: 0).std, 1, "a constant image is only shifted")
    }
}
