import XCTest
import DenseCellCore
import DenseCellIO
@testable import DenseCellEngine

/// The loss weight volumes on a phantom slice: written as PNG (labels | W_cb | W_ep | W, set
/// DENSECELL_WEIGHTS_PNG=DIR to keep them for a look), read back, and checked where the paper
/// says the weight goes.
final class TrainingWeightsImageTests: XCTestCase {
    func testWeightsOnPhantomSlice() throws {
        let study = Phantom.generate(shape: Shape3(3, 256, 256), seed: 4)
        let truth = study.labels.first { $0.name == "truth" }!.labels
        let schema = LabelSchema.platelet
        let w = LossWeights.weights(for: truth, schema: schema)
        let cb = LossWeights.classBalancing(truth, classes: schema.count)
        let s = truth.shape, z = 1, plane = s.y * s.x
        let labels = Array(truth.plane(z)), total = Array(w.plane(z))
        let classTerm = labels.map { cb[Int($0)] }
        let edge = (0..<plane).map { total[$0] - LossWeights.floor - classTerm[$0] }

        // W = floor + W_cb + W_ep with W_ep ≥ 0, W_cb ≤ 1 and the rarest class at 1.
        XCTAssertEqual(cb.max()!, 1, accuracy: 1e-6)
        XCTAssertGreaterThanOrEqual(edge.min()!, -1e-5)
        XCTAssertGreaterThan(edge.max()!, 0.3)

        // Where the edge term sits: on background and cell voxels next to a cell/background
        // boundary, on cell voxels next to organelles, and nowhere far (> 4σ) from any boundary.
        func neighbors(_ i: Int, _ r: Int, _ test: (UInt8) -> Bool) -> Bool {
            let y = i / s.x, x = i % s.x
            for dy in -r...r { for dx in -r...r {
                let yy = y + dy, xx = x + dx
                if yy >= 0, yy < s.y, xx >= 0, xx < s.x, test(labels[yy * s.x + xx]) { return true }
            } }
            return false
        }
        var bkgdAtCell: [Float] = [], cellAtOrg: [Float] = [], far: [Float] = []
        for i in stride(from: 0, to: plane, by: 3) {
            let l = labels[i]
            if l == 0, neighbors(i, 1, { $0 == 1 }) { bkgdAtCell.append(edge[i]) }
            if l == 1, neighbors(i, 1, { $0 >= 2 }) { cellAtOrg.append(edge[i]) }
            if l == 0, !neighbors(i, 25, { $0 != 0 }) { far.append(edge[i]) }
        }
        XCTAssertFalse(bkgdAtCell.isEmpty); XCTAssertFalse(cellAtOrg.isEmpty); XCTAssertFalse(far.isEmpty)
        let median = { (v: [Float]) in v.sorted()[v.count / 2] }
        // At a straight boundary the blurred indicator is ½, so M ≈ 0.44 before rectification;
        // curved boundaries and small organelles give less (tiny granules fall below α = 0.25).
        XCTAssertGreaterThan(median(bkgdAtCell), 0.1, "background next to cells")
        XCTAssertGreaterThan(cellAtOrg.max()!, 0.3, "cell next to organelles")
        XCTAssertLessThan(far.map(abs).max()!, 1e-6, "background far from every boundary")

        // PNG: four panes side by side, each weight scaled to its largest value on the slice.
        let panes = 4, width = panes * s.x
        var pixels = [UInt8](repeating: 0, count: width * s.y)
        let top = max(total.max()!, 1e-6), edgeTop = max(edge.max()!, 1e-6)
        for y in 0..<s.y { for x in 0..<s.x {
            let i = y * s.x + x
            let values: [UInt8] = [UInt8(Int(labels[i]) * 255 / 6), UInt8(max(0, min(255, classTerm[i] * 255))),
                                   UInt8(max(0, min(255, edge[i] / edgeTop * 255))), UInt8(max(0, min(255, total[i] / top * 255)))]
            for p in 0..<panes { pixels[y * width + p * s.x + x] = values[p] }
        } }
        let dir = ProcessInfo.processInfo.environment["DENSECELL_WEIGHTS_PNG"] ?? NSTemporaryDirectory()
        let path = (dir as NSString).appendingPathComponent("loss-weights-phantom-z\(z).png")
        try PNGImage(width: width, height: s.y, channels: 1, pixels: pixels).write(path: path)
        let back = try PNGImage.read(path: path)
        XCTAssertEqual(back.width, width)
        XCTAssertEqual(back.pixels, pixels)
    }
}
