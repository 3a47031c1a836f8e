import DenseCellCore
import Foundation

/// The per-voxel error weights of the paper's loss (docs/ARCHITECTURE.md, "Training"):
/// `W = w_floor + W_cb + W_ep`.
enum LossWeights {
    static let floor: Float = 0.01

    /// Class-balancing weights, one per class: proportional to 1/N_class over the whole training
    /// volume, scaled so the largest is 1. Absent classes get 0 (they never occur).
    static func classBalancing(_ labels: Volume<UInt8>, classes: Int) -> [Float] {
        var counts = [Int](repeating: 0, count: classes)
        for l in labels.data where Int(l) < classes { counts[Int(l)] += 1 }
        let inverse = counts.map { $0 > 0 ? 1 / Double($0) : 0 }
        let top = inverse.max() ?? 1
        return inverse.map { top > 0 ? Float($0 / top) : 0 }
    }

    /// Tempered class weights: ∝ 1/√N_class over the training volume, the most frequent class
    /// weighted 1 and none more than `cap`; absent classes get 0. Rare classes count more, but not
    /// so much that predicting them everywhere pays (what W_cb ∝ 1/N does on a thin membrane class).
    static func tempered(_ labels: Volume<UInt8>, classes: Int, cap: Float = 10) -> [Float] {
        var counts = [Int](repeating: 0, count: classes)
        for l in labels.data where Int(l) < classes { counts[Int(l)] += 1 }
        let top = Double(counts.max() ?? 0)
        return counts.map { $0 > 0 ? min(cap, Float((top / Double($0)).squareRoot())) : 0 }
    }

    /// The per-voxel weights a loss trains with: the paper's `W` for `paper`, the tempered class
    /// weight of each voxel's class otherwise.
    static func weights(for labels: Volume<UInt8>, schema: LabelSchema, kind: LossKind) -> Volume<Float> {
        guard kind != .paper else { return weights(for: labels, schema: schema) }
        let w = tempered(labels, classes: schema.count)
        return labels.map { Int($0) < w.count ? w[Int($0)] : 0 }
    }

    /// The class sets of the edge-preserving terms (source → target).
    struct Term: Sendable {
        var source: Set<Int>, target: Set<Int>
        init(source: Set<Int>, target: Set<Int>) { self.source = source; self.target = target }
    }

    /// The paper's four terms with bkgd = {0}, cell = {1}, org = the schema's organelles.
    static func paperTerms(organelles: [Int]) -> [Term] {
        let bkgd: Set<Int> = [0], cell: Set<Int> = [1], org = Set(organelles)
        return [Term(source: bkgd, target: cell), Term(source: cell, target: bkgd),
                Term(source: org, target: cell), Term(source: cell, target: org)]
    }

    /// Edge-preserving weights of one z-slice (`height`×`width` labels, row-major):
    /// for each term, `M = c·(k_σ ∗ 1[ℓ ∈ source])` taken on voxels whose class is in target;
    /// the sum is rectified by `R_α(W) = ReLU(W − α)·max W / (max W − α)`.
    static func edgePreserving(slice: ArraySlice<UInt8>, height: Int, width: Int, terms: [Term],
                                      sigma: Double = 6, c: Float = 0.882, alpha: Float = 0.25) -> [Float] {
        let n = height * width
        var sum = [Float](repeating: 0, count: n)
        let labels = Array(slice)
        for term in terms {
            var indicator = [Float](repeating: 0, count: n)
            var any = false
            for i in 0..<n where term.source.contains(Int(labels[i])) { indicator[i] = 1; any = true }
            guard any else { continue }
            let diffused = GaussianBlur.blur2D(indicator, height: height, width: width, sigma: sigma)
            for i in 0..<n where term.target.contains(Int(labels[i])) { sum[i] += c * diffused[i] }
        }
        return rectify(sum, alpha: alpha)
    }

    /// `R_α(W) = ReLU(W − α)·max W / (max W − α)`; all zeros when max W ≤ α.
    static func rectify(_ w: [Float], alpha: Float) -> [Float] {
        let top = w.max() ?? 0
        guard top > alpha else { return [Float](repeating: 0, count: w.count) }
        let scale = top / (top - alpha)
        return w.map { max(0, $0 - alpha) * scale }
    }

    /// The full weight volume for a training label volume.
    static func weights(for labels: Volume<UInt8>, schema: LabelSchema, sigma: Double = 6) -> Volume<Float> {
        let cb = classBalancing(labels, classes: schema.count)
        let terms = paperTerms(organelles: schema.organelles)
        let s = labels.shape
        var out = [Float](repeating: 0, count: s.count)
        out.withUnsafeMutableBufferPointer { dst in
            let base = dst.baseAddress!
            Parallel.forEach(s.z) { z in
                let ep = edgePreserving(slice: labels.plane(z), height: s.y, width: s.x, terms: terms, sigma: sigma)
                let offset = z * s.planeCount
                for i in 0..<s.planeCount {
                    let l = Int(labels.data[offset + i])
                    base[offset + i] = floor + (l < cb.count ? cb[l] : 0) + ep[i]
                }
            }
        }
        return Volume(shape: s, data: out)
    }
}
