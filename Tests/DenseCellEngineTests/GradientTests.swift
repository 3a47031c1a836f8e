import XCTest
import DenseCellCore
@testable import DenseCellEngine

/// Every training op's backward pass against central finite differences of L = Σ r ⊙ output
/// (r random), on tiny inputs; then the full network and loss.
final class GradientTests: XCTestCase {
    var rng = SplitMix64(seed: 7)

    func fill(_ node: TrainingNode, _ range: ClosedRange<Float> = -1...1) {
        for i in 0..<node.count { node.v[i] = Float.random(in: range, using: &rng) }
    }

    /// Relative error ‖a − n‖ / ‖n‖ of analytic `a` against numeric `n`.
    func relativeError(_ a: [Double], _ n: [Double]) -> Double {
        var d = 0.0, s = 0.0
        for i in a.indices { d += (a[i] - n[i]) * (a[i] - n[i]); s += n[i] * n[i] }
        return (d / max(s, 1e-30)).squareRoot()
    }

    /// Checks d(Σ r·output)/d(values) for `count` sampled entries of each perturbable buffer.
    /// `analytic` returns, after backward, the gradient of each buffer.
    func check(_ label: String, ops: [TrainingOp], output: TrainingNode, inputs: [TrainingNode],
               buffers: [(name: String, pointer: UnsafeMutablePointer<Float>, count: Int, gradient: () -> [Float])] = [],
               eps: Float = 1e-3, tolerance: Double = 1e-2, samples: Int = 40) throws {
        let r = (0..<output.count).map { _ in Double.random(in: -1...1, using: &rng) }
        func loss() throws -> Double {
            for op in ops { try op.forward() }
            var s = 0.0
            for i in 0..<output.count { s += r[i] * Double(output.v[i]) }
            return s
        }
        _ = try loss()
        for n in inputs { n.zeroGrad() }
        output.zeroGrad()
        for i in 0..<output.count { output.g[i] = Float(r[i]) }
        for op in ops.reversed() { try op.backward() }
        var all = inputs.map { n in (name: "input", pointer: n.v, count: n.count, gradient: { Array(UnsafeBufferPointer(start: n.g, count: n.count)) }) }
        all += buffers
        for b in all {
            let g = b.gradient()
            var analytic: [Double] = [], numeric: [Double] = []
            for _ in 0..<samples {
                let j = Int.random(in: 0..<b.count, using: &rng)
                let keep = b.pointer[j]
                b.pointer[j] = keep + eps; let plus = try loss()
                b.pointer[j] = keep - eps; let minus = try loss()
                b.pointer[j] = keep
                numeric.append((plus - minus) / Double(2 * eps))
                analytic.append(Double(g[j]))
            }
            let err = relativeError(analytic, numeric)
            XCTAssertLessThan(err, tolerance, "\(label) \(b.name): relative error \(err)")
            XCTAssertGreaterThan(numeric.map(abs).max()!, 1e-4, "\(label) \(b.name): gradient vanishes, the check would be empty")
        }
    }

    func convolutionBuffers(_ op: ConvolutionOp) -> [(name: String, pointer: UnsafeMutablePointer<Float>, count: Int, gradient: () -> [Float])] {
        [("kernel", op.weights.floatPointer, op.kernelCount, { Array(UnsafeBufferPointer(start: op.diffWeights.floatPointer, count: op.kernelCount)) }),
         ("bias", op.bias.floatPointer, op.outChannels, { Array(UnsafeBufferPointer(start: op.diffBias.floatPointer, count: op.outChannels)) })]
    }

    func testConvolutions() throws {
        let plan = try Plan()
        for (kernel, relu) in [([3, 3, 3], true), ([1, 3, 3], true), ([1, 1, 1], false), ([3, 3, 3], false)] {
            let x = try TrainingNode(channels: 3, shape: Shape3(3, 6, 5))
            fill(x)
            let op = try ConvolutionOp(plan: plan, buffers: SharedBuffers(), input: x, outChannels: 4, kernel: kernel, relu: relu, inputGradient: true, label: "conv")
            var k = (0..<op.kernelCount).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
            var b = (0..<4).map { _ in Float.random(in: -0.2...0.2, using: &rng) }
            k.withUnsafeMutableBufferPointer { kp in b.withUnsafeMutableBufferPointer { bp in op.setWeights(kernel: UnsafeBufferPointer(kp), bias: UnsafeBufferPointer(bp)) } }
            try check("conv \(kernel) relu \(relu)", ops: [op], output: op.output, inputs: [x], buffers: convolutionBuffers(op))
        }
    }

    /// The convolution's forward pass against a direct sum, so the gradient checks test the right function.
    func testConvolutionForwardMatchesDirectSum() throws {
        let plan = try Plan()
        let s = Shape3(3, 4, 5)
        let x = try TrainingNode(channels: 2, shape: s)
        fill(x)
        let op = try ConvolutionOp(plan: plan, buffers: SharedBuffers(), input: x, outChannels: 3, kernel: [3, 3, 3], relu: false, inputGradient: false, label: "conv")
        let k = (0..<op.kernelCount).map { _ in Float.random(in: -1...1, using: &rng) }
        let b: [Float] = [0.1, -0.2, 0.3]
        k.withUnsafeBufferPointer { kp in b.withUnsafeBufferPointer { op.setWeights(kernel: kp, bias: $0) } }
        try op.forward()
        for o in 0..<3 { for z in 0..<s.z { for y in 0..<s.y { for xx in 0..<s.x {
            var sum = Double(b[o])
            for i in 0..<2 { for dz in -1...1 { for dy in -1...1 { for dx in -1...1 {
                let zz = z + dz, yy = y + dy, xc = xx + dx
                guard zz >= 0, zz < s.z, yy >= 0, yy < s.y, xc >= 0, xc < s.x else { continue }
                sum += Double(k[(((o * 2 + i) * 3 + dz + 1) * 3 + dy + 1) * 3 + dx + 1]) * Double(x.v[((i * s.z + zz) * s.y + yy) * s.x + xc])
            } } } }
            XCTAssertEqual(Double(op.output.v[((o * s.z + z) * s.y + y) * s.x + xx]), sum, accuracy: 1e-4)
        } } } }
    }

    func testTransposedConvolution() throws {
        let plan = try Plan()
        let x = try TrainingNode(channels: 3, shape: Shape3(2, 3, 4))
        fill(x)
        let op = try TransposedConvolutionOp(plan: plan, buffers: SharedBuffers(), input: x, outChannels: 2, label: "up")
        var kernel = (0..<(2 * 3 * 4)).map { _ in Float.random(in: -1...1, using: &rng) }
        var bias: [Float] = [0.3, -0.1]
        op.setWeights(kernel: kernel, bias: bias)
        try op.forward()
        // Forward against the definition: out[o, z, 2y+b, 2x+c] = relu(bias[o] + Σ_i k[o, i, 0, b, c] x[i, z, y, x]).
        for o in 0..<2 { for z in 0..<2 { for y in 0..<6 { for xx in 0..<8 {
            var s = bias[o]
            for i in 0..<3 { s += kernel[(o * 3 + i) * 4 + (y % 2) * 2 + xx % 2] * x.v[((i * 2 + z) * 3 + y / 2) * 4 + xx / 2] }
            XCTAssertEqual(op.output.v[((o * 2 + z) * 6 + y) * 8 + xx], max(0, s), accuracy: 1e-5)
        } } } }
        // Gradients with respect to the model-file kernel and bias: perturb those and reload.
        var gk = kernel, gb = bias
        let kbuf = UnsafeMutablePointer<Float>.allocate(capacity: kernel.count), bbuf = UnsafeMutablePointer<Float>.allocate(capacity: 2)
        defer { kbuf.deallocate(); bbuf.deallocate() }
        kbuf.update(from: kernel, count: kernel.count); bbuf.update(from: bias, count: 2)
        final class Reload: TrainingOp {
            let op: TransposedConvolutionOp, k: UnsafeMutablePointer<Float>, b: UnsafeMutablePointer<Float>, n: Int
            init(_ op: TransposedConvolutionOp, _ k: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, _ n: Int) { self.op = op; self.k = k; self.b = b; self.n = n }
            func forward() { op.setWeights(kernel: Array(UnsafeBufferPointer(start: k, count: n)), bias: Array(UnsafeBufferPointer(start: b, count: op.outChannels))) }
            func backward() {}
        }
        try check("transposed", ops: [Reload(op, kbuf, bbuf, kernel.count), op], output: op.output, inputs: [x], buffers: [
            ("kernel", kbuf, kernel.count, { op.gradients(kernel: &gk, bias: &gb); return gk }),
            ("bias", bbuf, 2, { op.gradients(kernel: &gk, bias: &gb); return gb }),
        ])
        kernel = []; bias = []
    }

    func testMaxPool() throws {
        let x = try TrainingNode(channels: 2, shape: Shape3(2, 4, 6))
        fill(x)
        let op = try MaxPoolOp(input: x)
        try op.forward()
        XCTAssertEqual(op.output.v[0], max(max(x.v[0], x.v[1]), max(x.v[6], x.v[7])))
        try check("pool", ops: [op], output: op.output, inputs: [x])
    }

    func testConcatSoftmaxSum() throws {
        let a = try TrainingNode(channels: 2, shape: Shape3(2, 3, 4)), b = try TrainingNode(channels: 3, shape: Shape3(2, 3, 4))
        fill(a); fill(b)
        let cat = try ConcatOp(a, b)
        try check("concat", ops: [cat], output: cat.output, inputs: [a, b])
        let logits = try TrainingNode(channels: 7, shape: Shape3(1, 2, 3))
        fill(logits, -3...3)
        let softmax = try SoftmaxOp(input: logits)
        try softmax.forward()
        var total: Float = 0
        for c in 0..<7 { total += softmax.output.v[c * 6] }
        XCTAssertEqual(total, 1, accuracy: 1e-5)
        try check("softmax", ops: [softmax], output: softmax.output, inputs: [logits], eps: 1e-2)
        let c = try TrainingNode(channels: 2, shape: Shape3(2, 3, 4))
        fill(c)
        let sum = try SumOp(a, c)
        try check("sum", ops: [sum], output: sum.output, inputs: [a, c])
    }

    /// The full weighted multi-loss with L2 terms, through the whole network, against finite
    /// differences of sampled parameters of every layer.
    func testFullLossThroughNetwork() throws {
        for (pyramid, multiloss) in [(true, true), (false, true), (true, false)] {
            let arch = Architecture(width: 4, conv333: true, pyramid: pyramid)
            let model = NetworkModel.random(arch, seed: 3)
            // Nonzero biases so every path carries gradient, drawn in layer order (a dictionary's
            // order changes from run to run, and with it which samples land on kinks).
            for name in arch.layers.map(\.name) {
                model.weights[name]!.bias = model.weights[name]!.bias.map { _ in Float.random(in: -0.1...0.1, using: &rng) }
            }
            let window = Shape3(3, 8, 8)
            let net = try TrainingNetwork(model: model, window: window)
            let image = Volume<Float>(shape: window, data: (0..<window.count).map { _ in Float.random(in: -2...2, using: &rng) })
            let labels = (0..<window.count).map { _ in UInt8.random(in: 0..<7, using: &rng) }
            let weights = (0..<window.count).map { _ in Float.random(in: 0.01...1, using: &rng) }
            var loss = MultiLoss()
            loss.multiloss = multiloss
            loss.lambda2D = 0.01; loss.lambda3D = 0.02; loss.lambdaP = 0.03   // large enough to show in the check
            func total() throws -> Double {
                let (l2, l3) = try net.forwardForTraining(image)
                var t = loss.dataLoss(logits2D: l2, logits3D: l3, classes: 7, labels: labels, weights: weights).loss
                for p in net.parameters { var g = [Float](repeating: 0, count: p.values.count); t += loss.regularization(p.values, group: p.group, gradient: &g) }
                return t
            }
            let (l2, l3) = try net.forwardForTraining(image)
            let data = loss.dataLoss(logits2D: l2, logits3D: l3, classes: 7, labels: labels, weights: weights)
            try net.backward(grad2D: data.grad2D, grad3D: data.grad3D)
            for p in net.parameters { _ = loss.regularization(p.values, group: p.group, gradient: &p.gradient) }
            // A step crosses ReLU kinks now and then (a bias moves every voxel of its channel),
            // which makes that finite difference meaningless: a sample counts only when the
            // central differences with steps ε and ε/2 agree (a linear stretch). A wrong gradient
            // (missing branch, wrong sign, wrong layout) then disagrees almost everywhere.
            let eps: Float = 1e-3
            func difference(_ p: TrainableParameter, _ j: Int, _ h: Float) throws -> Double {
                let keep = p.values[j]
                p.values[j] = keep + h; net.parametersDidChange(); let plus = try total()
                p.values[j] = keep - h; net.parametersDidChange(); let minus = try total()
                p.values[j] = keep; net.parametersDidChange()
                return (plus - minus) / Double(2 * h)
            }
            var analytic: [Double] = [], numeric: [Double] = []
            var inconclusive = 0
            for p in net.parameters {
                for _ in 0..<4 {
                    let j = Int.random(in: 0..<p.values.count, using: &rng)
                    let n1 = try difference(p, j, eps), n2 = try difference(p, j, eps / 2)
                    guard abs(n1 - n2) <= 0.01 * abs(n1) + 1e-3 else { inconclusive += 1; continue }
                    numeric.append(n2); analytic.append(Double(p.gradient[j]))
                }
            }
            let agree = zip(analytic, numeric).filter { abs($0 - $1) <= 0.03 * abs($1) + 2e-3 }.count
            let err = relativeError(analytic, numeric)
            XCTAssertGreaterThan(numeric.count, 2 * net.parameters.count, "too many inconclusive samples")
            XCTAssertGreaterThanOrEqual(Double(agree), 0.9 * Double(numeric.count), "pyramid \(pyramid) multiloss \(multiloss): \(agree) of \(numeric.count) agree")
            // The norm can be dominated by the odd kink the step test missed (seen up to 0.07);
            // a wrong gradient gives errors of order 1.
            XCTAssertLessThan(err, 0.15, "pyramid \(pyramid) multiloss \(multiloss): relative error \(err)")
            print("full loss gradient check, pyramid \(pyramid) multiloss \(multiloss): \(agree)/\(numeric.count) samples agree (\(inconclusive) at kinks skipped), relative error \(String(format: "%.5f", err))")
            // Every layer receives gradient.
            for p in net.parameters where p.name.hasSuffix(".kernel") {
                XCTAssertGreaterThan(p.gradient.map(abs).max()!, 0, p.name)
            }
        }
    }

    /// The training graph's forward pass computes what the inference engine computes.
    func testTrainingForwardMatchesInference() throws {
        let arch = Architecture(width: 4)
        let model = NetworkModel.random(arch, seed: 11)
        let window = Shape3(3, 16, 16)
        let image = Volume<Float>(shape: window, data: (0..<window.count).map { _ in Float.random(in: -2...2, using: &rng) })
        let net = try TrainingNetwork(model: model, window: window)
        let logits = try net.forwardForTraining(image).logits3D
        let compiled = try CompiledNetwork(model, shape: window, precision: .f32)
        var probabilities = [Float](repeating: 0, count: 7 * window.count)
        try image.data.withUnsafeBufferPointer { i in try probabilities.withUnsafeMutableBufferPointer { try compiled.run(image: i, probabilities: $0) } }
        let n = window.count
        var worst: Float = 0
        for v in 0..<n {
            var top = -Float.infinity
            for c in 0..<7 { top = max(top, logits[c * n + v]) }
            var s: Float = 0
            for c in 0..<7 { s += exp(logits[c * n + v] - top) }
            for c in 0..<7 { worst = max(worst, abs(exp(logits[c * n + v] - top) / s - probabilities[c * n + v])) }
        }
        XCTAssertLessThan(worst, 1e-4)
    }
}
