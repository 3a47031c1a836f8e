import Foundation

/// Voxel counts of (truth class, predicted class) pairs, the basis of every label metric.
///
/// `counts[t * classes + p]` is the number of voxels whose first source (truth, or source A of
/// a pair) says class `t` and whose second source (prediction, or B) says class `p`.
public struct ConfusionMatrix: Equatable, Sendable {
    /// Rows and columns.
    public let classes: Int
    /// Row-major: `counts[t * classes + p]`, rows are truth (A), columns prediction (B).
    public var counts: [Int]

    /// An all-zero matrix.
    /// - Parameter classes: rows and columns, at least 1.
    public init(classes: Int) {
        precondition(classes > 0, "a confusion matrix needs at least one class")
        self.classes = classes
        self.counts = [Int](repeating: 0, count: classes * classes)
    }

    /// Voxels that the truth calls `t` and the prediction `p`.
    public subscript(t: Int, p: Int) -> Int {
        get { counts[t * classes + p] }
        set { counts[t * classes + p] = newValue }
    }

    /// Number of voxels counted.
    public var total: Int { counts.reduce(0, +) }

    /// Voxels whose truth is class `t` (row sum).
    public func truthCount(_ t: Int) -> Int { (0..<classes).reduce(0) { $0 + self[t, $1] } }

    /// Voxels predicted as class `p` (column sum).
    public func predictedCount(_ p: Int) -> Int { (0..<classes).reduce(0) { $0 + self[$1, p] } }

    /// Per-class intersection over union (Jaccard index).
    ///
    /// - Returns: `iou[j] = C[j][j] / (Σ_t C[t][j] + Σ_p C[j][p] − C[j][j])`, or nil when the denominator is
    ///   0 (class j is absent from both sources, so its IoU is undefined, not 0 or 1).
    public func iou() -> [Double?] {
        (0..<classes).map { j in
            let union = truthCount(j) + predictedCount(j) - self[j, j]
            return union == 0 ? nil : Double(self[j, j]) / Double(union)
        }
    }

    /// Unweighted mean IoU over a set of classes, the paper's MIoU(D).
    ///
    /// - Parameters:
    ///   - classes: the class set D (all classes for MIoU(all), the organelles for MIoU(org)).
    ///     Indices outside the matrix are ignored.
    /// - Returns: `(1/|D'|) Σ_{j ∈ D'} IoU_j` where D' ⊆ D are the classes whose IoU is defined; nil when
    ///   D' is empty.
    public func miou(over classes: [Int]) -> Double? {
        let all = iou()
        let defined = classes.filter { $0 >= 0 && $0 < self.classes }.compactMap { all[$0] }
        return defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
    }

    /// The 2×2 matrix of background (class 0) against everything else, as the paper's binary
    /// test binarizes both truth and segmentation.
    public func binarized() -> ConfusionMatrix {
        var b = ConfusionMatrix(classes: 2)
        for t in 0..<classes {
            for p in 0..<classes { b[t == 0 ? 0 : 1, p == 0 ? 0 : 1] += self[t, p] }
        }
        return b
    }

    /// Element-wise sum, e.g. to combine slabs or volumes.
    public static func + (a: ConfusionMatrix, b: ConfusionMatrix) -> ConfusionMatrix {
        precondition(a.classes == b.classes, "adding confusion matrices of \(a.classes) and \(b.classes) classes")
        var c = a
        for i in 0..<c.counts.count { c.counts[i] += b.counts[i] }
        return c
    }
}
