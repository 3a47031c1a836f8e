import CDNNL
import DenseCellCore
import Foundation

/// A model compiled for one window shape: the plan of DESIGN §4's graph with activations kept in
/// the library's blocked layouts, ReLU fused into every convolution, and the pyramid's sum fused
/// into `p1up` as a sum post-op.
final class CompiledNetwork {
    let shape: Shape3
    let classes: Int
    let plan: Plan
    let input: Tensor      // plain (1, 1, z, y, x) float32
    let output: Tensor     // plain (1, classes, z, y, x) float32 probabilities

    init(_ model: NetworkModel, shape: Shape3, precision: Precision, pool: ActivationPool = ActivationPool()) throws(EngineError) {
        guard shape.y % 4 == 0, shape.x % 4 == 0, shape.z >= 1 else {
            throw EngineError(.badInput, "window \(shape): y and x must be multiples of 4 (two 2×2 poolings)")
        }
        self.shape = shape
        classes = model.architecture.classes
        let b = try PlanBuilder(precision: precision, pool: pool)
        let arch = model.architecture
        func conv(_ x: Tensor, _ name: String, sumInto: Tensor? = nil) throws(EngineError) -> Tensor {
            let layer = arch.layer(name)!
            return try b.convolution(x, model.weights[name]!, relu: layer.relu, transposed: layer.kind == .transposed,
                                     sumInto: sumInto, label: name)
        }
        let x = try b.input(channels: 1, shape: shape)
        var t = try conv(x, "enc0.conv0")
        t = try conv(t, "enc0.conv1")
        let enc0 = try conv(t, "enc0.conv2")
        t = try b.maxPool(enc0, label: "pool0")
        t = try conv(t, "enc1.conv0")
        t = try conv(t, "enc1.conv1")
        let enc1 = try conv(t, "enc1.conv2")
        t = try b.maxPool(enc1, label: "pool1")
        t = try conv(t, "bottom.conv0")
        t = try conv(t, "bottom.conv1")
        t = try conv(t, "up1")
        t = try b.concat(t, enc1, label: "concat1")
        t = try conv(t, "dec1.conv0")
        t = try conv(t, "dec1.conv1")
        t = try conv(t, "dec1.conv2")
        t = try conv(t, "up0")
        t = try b.concat(t, enc0, label: "concat0")
        t = try conv(t, "dec0.conv0")
        t = try conv(t, "dec0.conv1")
        let dec0 = try conv(t, "dec0.conv2")
        let logits2D = try conv(dec0, "pred2d")
        let probabilities2D = try b.softmax(logits2D, label: "softmax2d")
        var result = probabilities2D
        if arch.pyramid {
            let h = try b.concat(dec0, probabilities2D, label: "concat-h")
            t = try conv(h, "p0.conv0")
            t = try conv(t, "p0.conv1")
            let p0 = try conv(t, "p0.conv2")
            t = try b.maxPool(h, label: "pool-h")
            for i in 0..<5 { t = try conv(t, "p1.conv\(i)") }
            t = try conv(t, "p1end")
            let summed = try conv(t, "p1up", sumInto: p0)
            let logits3D = try conv(summed, "pred3d")
            result = try b.softmax(logits3D, label: "softmax3d")
        }
        input = x
        output = try b.output(result)
        plan = b.plan
    }

    /// Runs the network on one window: `image` is (z, y, x) normalized intensities, `probabilities`
    /// receives (classes, z, y, x).
    func run(image: UnsafeBufferPointer<Float>, probabilities: UnsafeMutableBufferPointer<Float>) throws(EngineError) {
        precondition(image.count == shape.count && probabilities.count == classes * shape.count)
        input.floatPointer.update(from: image.baseAddress!, count: image.count)
        try plan.run()
        probabilities.baseAddress!.update(from: output.floatPointer, count: probabilities.count)
    }
}

/// Compiled networks of one model, one per window shape and precision, built on first use.
final class NetworkCache: @unchecked Sendable {
    let model: NetworkModel
    let pool: ActivationPool
    private var compiled: [String: CompiledNetwork] = [:]
    private let lock = NSLock()
    init(model: NetworkModel, pool: ActivationPool = ActivationPool()) { self.model = model; self.pool = pool }

    func network(for shape: Shape3, precision: Precision) throws(EngineError) -> CompiledNetwork {
        let key = "\(shape.z)x\(shape.y)x\(shape.x)-\(precision.rawValue)"
        lock.lock(); defer { lock.unlock() }
        if let n = compiled[key] { return n }
        let n = try CompiledNetwork(model, shape: shape, precision: precision, pool: pool)
        compiled[key] = n
        return n
    }

    /// Frees compiled plans (their activations take hundreds of MB at wide widths).
    func purge() { lock.lock(); compiled.removeAll(); lock.unlock() }
}
