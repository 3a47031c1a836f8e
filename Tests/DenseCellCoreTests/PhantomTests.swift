import XCTest
@testable import DenseCellCore

final class PhantomTests: XCTestCase {
    func testDeterministicForASeed() {
        let shape = Shape3(8, 96, 96)
        let a = Phantom.generate(shape: shape, seed: 5)
        let b = Phantom.generate(shape: shape, seed: 5)
        XCTAssertEqual(a.image, b.image)
        XCTAssertEqual(a.labels.map(\.labels), b.labels.map(\.labels))
        let c = Phantom.generate(shape: shape, seed: 6)
        XCTAssertNotEqual(a.labels[0].labels, c.labels[0].labels)
        XCTAssertEqual(a.labels.map(\.name), ["truth", "annotator-1", "annotator-2"])
        XCTAssertEqual(a.labels.map(\.role), [.truth, .annotator, .annotator])
        XCTAssertEqual(a.resolutionNM, [50, 20, 20])
    }

    func testSlabsMakeTheSameStudyWhateverTheirDepth() {
        let shape = Shape3(13, 96, 80)
        let whole = Phantom.generate(shape: shape, seed: 5, slabDepth: shape.z)
        // Depths that leave slabs of one slice, slabs narrower than the halo and a ragged last slab.
        for depth in [1, 2, 5] {
            var seen: [Range<Int>] = []
            var image: [Float] = [], truth: [UInt8] = [], annotator2: [UInt8] = []
            Phantom.generateSlabs(shape: shape, seed: 5, slabDepth: depth) { slab in
                seen.append(slab.z)
                XCTAssertEqual(slab.image.shape, Shape3(slab.z.count, 96, 80))
                image += slab.image.data; truth += slab.labels[0].data; annotator2 += slab.labels[2].data
            }
            XCTAssertEqual(seen.map(\.lowerBound), Array(stride(from: 0, to: 13, by: depth)), "depth \(depth)")
            XCTAssertEqual(image, whole.image.data, "depth \(depth)")
            XCTAssertEqual(truth, whole.labels[0].labels.data, "depth \(depth)")
            XCTAssertEqual(annotator2, whole.labels[2].labels.data, "depth \(depth)")
        }
        XCTAssertEqual(Phantom.slabDepth(for: Shape3(250, 2000, 2000)), 8, "about 768 MiB of buffers per slab")
        XCTAssertEqual(Phantom.slabDepth(for: Phantom.defaultShape), 48, "the default size is one slab")
    }

    func testGeometryFollowsThePlateletDescription() {
        let g = PhantomGeometry.sample(shape: Shape3(48, 384, 384), seed: 1)
        XCTAssertGreaterThan(g.cells.count, 8)
        for cell in g.cells {
            XCTAssertTrue((1000...1500).contains(cell.radii.z), "disc radius \(cell.radii.z) nm")   // 2–3 µm across
            XCTAssertTrue((250...500).contains(cell.radii.x), "half-thickness \(cell.radii.x) nm")  // 0.5–1 µm thick
            let blobs = g.blobs.filter { $0.cell == cell.id }
            XCTAssertTrue((1...6).contains(blobs.filter { $0.kind == .mitochondrion }.count))
            XCTAssertTrue((10...50).contains(blobs.filter { $0.kind == .alphaGranule }.count))
            XCTAssertTrue((1...8).contains(blobs.filter { $0.kind == .denseGranule }.count))
            XCTAssertFalse(g.tubes.filter { $0.cell == cell.id }.isEmpty)
        }
        for b in g.blobs where b.kind == .denseGranule {
            // Core off centre but inside the granule.
            let offset = (b.inner - b.center).length
            XCTAssertGreaterThan(offset, 0)
            XCTAssertLessThan(offset + b.innerRadius, b.semi.z)
        }
        XCTAssertTrue(g.tubes.allSatisfy { (40...100).contains($0.radius) })
    }

    func testImageAndLabelsLookLikePlateletSBFSEM() {
        let study = Phantom.generate(shape: Shape3(16, 192, 192), seed: 2)
        let truth = study.labels[0].labels
        let image = study.image
        XCTAssertTrue(image.data.allSatisfy { $0 >= 0 && $0 <= 255 && $0 == $0.rounded() })
        var sum = [Double](repeating: 0, count: 7), count = [Int](repeating: 0, count: 7)
        for i in 0..<truth.data.count {
            sum[Int(truth.data[i])] += Double(image.data[i]); count[Int(truth.data[i])] += 1
        }
        XCTAssertTrue(count.allSatisfy { $0 > 0 }, "every class present: \(count)")
        let mean = (0..<7).map { sum[$0] / Double(count[$0]) }
        // Bright resin, grey cytoplasm, darker mitochondria and alpha granules, a black dense core,
        // pale channel lumen.
        XCTAssertGreaterThan(mean[0], mean[1] + 25)
        XCTAssertLessThan(mean[2], mean[1] - 15)
        XCTAssertLessThan(mean[4], mean[1] - 10)
        XCTAssertLessThan(mean[6], mean[2])
        XCTAssertLessThan(mean[6], mean[5] - 40)
        XCTAssertGreaterThan(mean[3], mean[1])
    }

    func testAnnotatorsDisagreeLikeHumans() {
        let study = Phantom.generate(shape: Shape3(24, 256, 256), seed: 3)
        let pw = Metrics.pairwise(study.labels, schema: .platelet)
        let a1a2 = pw.miouOrg[1][2]!, a1t = pw.miouOrg[0][1]!, a2t = pw.miouOrg[0][2]!
        XCTAssertTrue((0.45...0.70).contains(a1a2), "annotator-1 vs annotator-2 MIoU(org) \(a1a2)")
        XCTAssertGreaterThan(a1t, a1a2)
        XCTAssertGreaterThan(a2t, a1a2)
        // Volume fractions stay close: within a third of the truth's for the big classes.
        let f = study.labels.map { Metrics.volumeFractions($0.labels, schema: .platelet) }
        for j in [2, 3, 4] {
            for k in 1...2 { XCTAssertEqual(f[k][j]!, f[0][j]!, accuracy: f[0][j]! / 3, "class \(j), annotator \(k)") }
        }
    }
}
