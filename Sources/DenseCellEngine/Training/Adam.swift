import Foundation

/// How the learning rate changes over a run (docs/ARCHITECTURE.md, "Training").
public enum LearningRateDecay: String, Sendable, CaseIterable {
    /// The paper's: ×`decayRate` every `decaySteps` steps.
    case staircase
    /// A linear warm-up over the first `warmupSteps`, then a half cosine down to
    /// `finalFraction` of the rate at the run's last step.
    case cosine
}

/// Adam with the paper's constants and a learning-rate schedule (docs/ARCHITECTURE.md, "Training").
struct AdamSchedule: Sendable, Equatable {
    var learningRate: Double = 1e-3
    var decay = LearningRateDecay.staircase
    /// Steps of the cosine schedule's warm-up and its length (the run's steps).
    var warmupSteps = 0, totalSteps = 0
    /// The cosine schedule's last rate, as a fraction of `learningRate`.
    var finalFraction = 0.05
    var beta1: Double = 1 - pow(10, -1.5)
    var beta2: Double = 1 - pow(10, -2.1)
    var epsilon: Double = 1e-7
    var decayRate: Double = 0.75
    var decaySteps: Double = pow(10, 3.4)   // ≈ 2512
    init() {}

    /// The schedule for a run of `steps` steps: the cosine decays over them after a warm-up of a
    /// tenth of them (at most 100 steps), so short runs end at a low rate as long ones do.
    func over(steps: Int) -> AdamSchedule {
        var s = self
        s.totalSteps = steps
        s.warmupSteps = min(100, steps / 10)
        return s
    }

    /// The rate at step `t` (0-based).
    func rate(at step: Int) -> Double {
        switch decay {
        case .staircase:
            return learningRate * pow(decayRate, (Double(step) / decaySteps).rounded(.down))
        case .cosine:
            if step < warmupSteps { return learningRate * Double(step + 1) / Double(warmupSteps) }
            let span = max(1, totalSteps - 1 - warmupSteps)
            let progress = min(1, Double(step - warmupSteps) / Double(span))
            return learningRate * (finalFraction + (1 - finalFraction) * 0.5 * (1 + cos(Double.pi * progress)))
        }
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
