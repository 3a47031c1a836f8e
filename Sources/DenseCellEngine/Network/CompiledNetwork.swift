import CDNNL
import DenseCellCore
import Foundation

/// A model compiled for one window shape: the plan of the architecture's graph with activations
/// kept in the library's blocked layouts, ReLU fused into every convolution, and the pyramid's
/// sum fused into `p1up` as a sum post-op. See docs/ARCHITECTURE.md, "Inference".
final class CompiledNetwork {
    let shape: Shape3
    let classes: Int
    let plan: Plan
    let input: Tensor      // plain (1, 1, z, y, x) float32
    let output: Tensor     // plain (1, classes, z, y, x) float32 probabilities

    /// Compiles `model` for windows of `shape`.
    /// - Parameters:
    ///   - model: a validated model.
    ///   - shape: the window; y and x multiples of 4.
    ///   - precision: float32 or bfloat16 arithmetic.
    ///   - pool: where the activations live (shared by networks run one at a time).
    /// - Throws: `EngineError` for a bad window, one whose activations cannot fit in memory, or a
    ///   oneDNN failure.
    init(_ model: NetworkModel, shape: Shape3, precision: Precision, pool: ActivationPool = ActivationPool()) throws(EngineError) {
        try Architecture.checkWindow(shape)
        try WindowMemory.check(model.architecture.activationBytes(window: shape, precision: precision), window: shape)
        self.shape = shape
        classes = model.architecture.classes
        let b = try PlanBuilder(precision: precision, pool: pool)
        let graph = model.architecture.graph
        func convolution(_ x: Tensor, _ layer: Architecture.Layer, sumInto: Tensor? = nil) throws(EngineError) -> Tensor {
            try b.convolution(x, model.weights[layer.name]!, relu: layer.relu, transposed: layer.kind == .transposed,
                              sumInto: sumInto, label: layer.name)
        }
        // A layer read only by the sum right after it writes into the sum's other input (a fused
        // sum post-op), which nothing else reads.
        func fusedSum(_ i: Int) -> Int? {
            let consumers = graph.consumers(of: i)
            guard graph.nodes[i].layer != nil, consumers == [i + 1], graph.nodes[i + 1].operation == .sum,
                  let other = graph.nodes[i + 1].inputs.first(where: { $0 != i }), graph.consumers(of: other) == [i + 1]
            else { return nil }
            return other
        }
        var tensors = [Tensor?](repeating: nil, count: graph.nodes.count)
        var deferred: (layer: Int, into: Int)? = nil
        for (i, node) in graph.nodes.enumerated() {
            func x(_ k: Int) -> Tensor { tensors[node.inputs[k]]! }
            switch node.operation {
            case .input:
                tensors[i] = try b.input(channels: node.channels, shape: shape)
            case .layer(let layer):
                if let other = fusedSum(i) { deferred = (i, other); continue }
                tensors[i] = try convolution(x(0), layer)
            case .maxPool:
                tensors[i] = try b.maxPool(x(0), label: node.name)
            case .concatenate:
                tensors[i] = try b.concat(x(0), x(1), label: node.name)
            case .softmax:
                tensors[i] = try b.softmax(x(0), label: node.name)
            case .sum:
                guard let d = deferred, node.inputs.contains(d.layer) else {
                    preconditionFailure("\(node.name): the plan builder sums only as a fused post-op of the layer before")
                }
                let layerNode = graph.nodes[d.layer]
                tensors[i] = try convolution(tensors[layerNode.inputs[0]]!, layerNode.layer!, sumInto: tensors[d.into]!)
                deferred = nil
            }
        }
        input = tensors[graph.nodes.firstIndex { $0.operation == .input }!]!
        output = try b.output(tensors[graph.probabilities]!)
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
}
