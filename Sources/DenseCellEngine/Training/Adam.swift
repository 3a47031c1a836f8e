import Foundation

/// Adam with the paper's constants and a staircase learning-rate decay (docs/ARCHITECTURE.md, "Training").
struct AdamSchedule: Sendable, Equatable {
    var learningRate: Double = 1e-3
    var beta1: Double = 1 - pow(10, -1.5)
    var beta2: Double = 1 - pow(10, -2.1)
    var epsilon: Double = 1e-7
    var decayRate: Double = 0.75
    var decaySteps: Double = pow(10, 3.4)   // ≈ 2512
    init() {}

    /// The rate at step `t` (0-based): multiplied by `decayRate` every `decaySteps` steps.
    func rate(at step: Int) -> Double {
        learningRate * pow(decayRate, (Double(step) / decaySteps).rounded(.down))
    }
}

/// Adam state for one parameter tensor.
struct AdamState: Sendable {
    var m: [Float], v: [Float]
    init(count: Int) { m = [Float](repeating: 0, count: count); v = m }

    /// One update of `parameters` with `gradient` at step `t` (0-based), bias-corrected.
    mutating func step(_ parameters: inout [Float], gradient: [Float], t: Int, schedule: AdamSchedule) {
        precondition(parameters.count == gradient.count && gradient.count == m.count)
        let b1 = Float(schedule.beta1), b2 = Float(schedule.beta2)
        let c1 = 1 - pow(schedule.beta1, Double(t + 1)), c2 = 1 - pow(schedule.beta2, Double(t + 1))
        let lr = Float(schedule.rate(at: t) * c2.squareRoot() / c1)
        let eps = Float(schedule.epsilon * c2.squareRoot())
        for i in parameters.indices {
            let g = gradient[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            parameters[i] -= lr * m[i] / (v[i].squareRoot() + eps)
        }
    }
}
