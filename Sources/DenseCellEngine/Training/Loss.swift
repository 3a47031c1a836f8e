import Foundation

/// Which data loss a run trains with (docs/ARCHITECTURE.md, "Training").
public enum LossKind: String, Sendable, CaseIterable {
    /// The paper's: cross-entropy summed over voxels with class-balancing (∝ 1/N) and
    /// edge-preserving weights, and L2 terms.
    case paper
    /// Soft Dice over the classes plus the voxel mean of the cross-entropy with tempered class
    /// weights (∝ 1/√N, at most 10× apart); no L2 terms.
    case diceCE = "dice-ce"
    /// The voxel mean of the cross-entropy with tempered class weights alone; no L2 terms.
    case crossEntropy = "ce"
}

/// The paper's weighted multi-loss (docs/ARCHITECTURE.md, "Training"), on logits laid out channels-first
/// (classes, voxels):
///
///     L = c2D·Σ_v W(v)·H(x_v, x̂2D_v) + Σ_v W(v)·H(x_v, x̂3D_v) + λ2D‖Θ2D‖² + λ3D‖Θ3D‖² + λP(‖θ2DP‖² + ‖θ3DP‖²)
///
/// with H the cross-entropy of the softmax. The data terms are summed over voxels, as written;
/// the L2 terms are added by `regularization(_:)`.
public struct MultiLoss: Sendable {
    /// Weight of the 2-D head's data term.
    var c2D: Float = 0.33
    /// L2 coefficients of the encoder–decoder, the pyramid and the predictors.
    var lambda2D: Float = Float(pow(10, -4.7))
    /// L2 coefficient λ3D of the 3-D pyramid.
    var lambda3D: Float = 1e-5
    /// L2 coefficient λP of the predictors (the heads).
    var lambdaP: Float = 1e-9
    /// `--no-multiloss` drops the 2D term.
    public var multiloss = true
    /// The data loss of each head; `paper` is the formula above.
    public var kind = LossKind.paper
    /// The paper's coefficients, multi-loss on.
    public init() {}

    /// Weighted softmax cross-entropy summed over voxels, and its gradient with respect to the
    /// logits (`scale` multiplies both; e.g. c2D for the 2D head).
    static func crossEntropy(logits: [Float], classes: Int, labels: [UInt8], weights: [Float],
                                    scale: Float = 1) -> (loss: Double, gradient: [Float]) {
        let n = labels.count
        precondition(logits.count == classes * n && weights.count == n)
        var grad = [Float](repeating: 0, count: logits.count)
        var loss = 0.0
        var p = [Float](repeating: 0, count: classes)
        for v in 0..<n {
            var top = -Float.infinity
            for c in 0..<classes { top = max(top, logits[c * n + v]) }
            var sum: Float = 0
            for c in 0..<classes { p[c] = exp(logits[c * n + v] - top); sum += p[c] }
            let label = Int(labels[v])
            let w = weights[v] * scale
            loss += Double(w) * (Double(log(sum)) - Double(logits[label * n + v] - top))
            for c in 0..<classes {
                grad[c * n + v] = w * (p[c] / sum - (c == label ? 1 : 0))
            }
        }
        return (loss, grad)
    }

    /// Soft Dice loss `1 − (1/C)·Σ_c (2·Σ_v p_cv·y_cv + ε) / (Σ_v p_cv + Σ_v y_cv + ε)` of the
    /// softmax p against the one-hot labels y, and its gradient with respect to the logits
    /// (`scale` multiplies both). ε = 10⁻⁵ as in MONAI's DiceLoss: a class absent from labels
    /// and prediction scores 1.
    static func dice(logits: [Float], classes: Int, labels: [UInt8], scale: Float = 1) -> (loss: Double, gradient: [Float]) {
        let n = labels.count
        precondition(logits.count == classes * n)
        let epsilon = 1e-5
        var p = [Float](repeating: 0, count: logits.count)
        for v in 0..<n {
            var top = -Float.infinity
            for c in 0..<classes { top = max(top, logits[c * n + v]) }
            var sum: Float = 0
            for c in 0..<classes { let e = exp(logits[c * n + v] - top); p[c * n + v] = e; sum += e }
            for c in 0..<classes { p[c * n + v] /= sum }
        }
        var intersection = [Double](repeating: 0, count: classes), total = [Double](repeating: 0, count: classes)
        for c in 0..<classes {
            var i = 0.0, t = 0.0
            for v in 0..<n {
                let q = Double(p[c * n + v])
                t += q
                if Int(labels[v]) == c { i += q; t += 1 }
            }
            intersection[c] = i; total[c] = t
        }
        var loss = 1.0
        // ∂L/∂p_cv = −(1/C)·(2·y_cv·(S_c + ε) − (2·I_c + ε)) / (S_c + ε)²
        var a = [Float](repeating: 0, count: classes), b = [Float](repeating: 0, count: classes)
        for c in 0..<classes {
            let d = total[c] + epsilon
            loss -= (2 * intersection[c] + epsilon) / d / Double(classes)
            a[c] = Float(-2 / d / Double(classes))
            b[c] = Float((2 * intersection[c] + epsilon) / (d * d) / Double(classes))
        }
        // Through the softmax: ∂L/∂z_kv = p_kv·(g_kv − Σ_c p_cv·g_cv).
        var grad = [Float](repeating: 0, count: logits.count)
        for v in 0..<n {
            let label = Int(labels[v])
            var mean: Float = 0
            for c in 0..<classes { mean += p[c * n + v] * ((c == label ? a[c] : 0) + b[c]) }
            for c in 0..<classes {
                let g = (c == label ? a[c] : 0) + b[c]
                grad[c * n + v] = scale * p[c * n + v] * (g - mean)
            }
        }
        return (Double(scale) * loss, grad)
    }

    /// The data loss of one head, `kind` deciding which (`scale` multiplies it and its gradient).
    func headLoss(logits: [Float], classes: Int, labels: [UInt8], weights: [Float], scale: Float) -> (loss: Double, gradient: [Float]) {
        switch kind {
        case .paper:
            return Self.crossEntropy(logits: logits, classes: classes, labels: labels, weights: weights, scale: scale)
        case .crossEntropy, .diceCE:
            // The weighted mean, as PyTorch's cross-entropy with class weights.
            let weightSum = weights.reduce(0, +)
            var ce = Self.crossEntropy(logits: logits, classes: classes, labels: labels, weights: weights,
                                       scale: weightSum > 0 ? scale / weightSum : 0)
            if kind == .diceCE {
                let d = Self.dice(logits: logits, classes: classes, labels: labels, scale: scale)
                ce.loss += d.loss
                for i in ce.gradient.indices { ce.gradient[i] += d.gradient[i] }
            }
            return ce
        }
    }

    /// Data terms of both heads. `logits2D` is nil when the network has no pyramid (its
    /// output is then the 2D head, weighted 1).
    func dataLoss(logits2D: [Float]?, logits3D: [Float], classes: Int, labels: [UInt8], weights: [Float])
        -> (loss: Double, grad2D: [Float]?, grad3D: [Float]) {
        let main = headLoss(logits: logits3D, classes: classes, labels: labels, weights: weights, scale: 1)
        guard multiloss, let logits2D else { return (main.loss, nil, main.gradient) }
        let side = headLoss(logits: logits2D, classes: classes, labels: labels, weights: weights, scale: c2D)
        return (main.loss + side.loss, side.gradient, main.gradient)
    }

    /// Which L2 coefficient applies to a parameter.
    enum Group: String, Sendable { case encoderDecoder, pyramid, predictor, unregularized }

    func lambda(_ g: Group) -> Float {
        // The paper's coefficients are sized for a loss summed over voxels; the mean losses have none.
        guard kind == .paper else { return 0 }
        return switch g {
        case .encoderDecoder: lambda2D
        case .pyramid: lambda3D
        case .predictor: lambdaP
        case .unregularized: 0
        }
    }

    /// λ‖θ‖² and its gradient 2λθ, added into `gradient`.
    func regularization(_ values: [Float], group: Group, gradient: inout [Float]) -> Double {
        let l = lambda(group)
        guard l > 0 else { return 0 }
        var s = 0.0
        for i in values.indices { s += Double(values[i] * values[i]); gradient[i] += 2 * l * values[i] }
        return Double(l) * s
    }
}
