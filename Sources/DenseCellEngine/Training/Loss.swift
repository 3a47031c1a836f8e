import Foundation

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

    /// Data terms of both heads. `logits2D` is nil when the network has no pyramid (its
    /// output is then the 2D head, weighted 1).
    func dataLoss(logits2D: [Float]?, logits3D: [Float], classes: Int, labels: [UInt8], weights: [Float])
        -> (loss: Double, grad2D: [Float]?, grad3D: [Float]) {
        let main = Self.crossEntropy(logits: logits3D, classes: classes, labels: labels, weights: weights)
        guard multiloss, let logits2D else { return (main.loss, nil, main.gradient) }
        let side = Self.crossEntropy(logits: logits2D, classes: classes, labels: labels, weights: weights, scale: c2D)
        return (main.loss + side.loss, side.gradient, main.gradient)
    }

    /// Which L2 coefficient applies to a parameter.
    enum Group: String, Sendable { case encoderDecoder, pyramid, predictor, unregularized }

    func lambda(_ g: Group) -> Float {
        switch g {
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
