import CDNNL
import DenseCellCore
import Foundation

/// The 2D–3D network for training on one window shape: the architecture's graph, as inference
/// walks it, on plain float32 layouts, keeping every activation for the backward pass.
/// Parameters are the model-file kernels (out, in, kd, kh, kw) and biases of every layer.
final class TrainingNetwork: TrainableNetwork {
    let architecture: Architecture
    let window: Shape3
    var classes: Int { architecture.classes }
    private(set) var parameters: [TrainableParameter] = []

    private let plan: Plan
    private var ops: [TrainingOp] = []
    private var nodes: [TrainingNode] = []
    private let input: TrainingNode
    private var logits2D: TrainingNode!
    private var logits3D: TrainingNode?
    /// Each layer's op and the indices of its kernel and bias in `parameters`.
    private var layers: [(name: String, op: TrainingOp, kernel: Int, bias: Int)] = []

    /// Compiles the graph for `window` and loads the weights of `model`.
    /// - Parameters:
    ///   - model: the starting weights (validated here).
    ///   - window: the training window; y and x multiples of 4.
    /// - Throws: `EngineError` for a bad model or window, or a oneDNN failure.
    init(model: NetworkModel, window: Shape3) throws(EngineError) {
        try Architecture.checkWindow(window, what: "training window")
        try model.validate()
        architecture = model.architecture
        self.window = window
        plan = try Plan()
        let buffers = SharedBuffers()
        input = try TrainingNode(channels: 1, shape: window)
        nodes.append(input)
        func add(_ op: TrainingOp, _ out: TrainingNode) -> TrainingNode { ops.append(op); nodes.append(out); return out }
        func layer(_ x: TrainingNode, _ layer: Architecture.Layer) throws(EngineError) -> TrainingNode {
            let w = model.weights[layer.name]!
            if layer.kind == .transposed {
                let op = try TransposedConvolutionOp(plan: plan, buffers: buffers, input: x, outChannels: layer.outChannels, label: layer.name)
                register(layer.name, op, w)
                nodes.append(op.pointwise.output)
                return add(op, op.output)
            }
            // The image needs no gradient.
            let op = try ConvolutionOp(plan: plan, buffers: buffers, input: x, outChannels: layer.outChannels, kernel: layer.kernel,
                                       relu: layer.relu, inputGradient: x !== input, label: layer.name)
            register(layer.name, op, w)
            return add(op, op.output)
        }

        // The loss reads logits: the graph's final softmax is left out, the 2-D one feeds the pyramid.
        let graph = architecture.graph
        let heads = [graph.logits2D] + (graph.logits3D.map { [$0] } ?? [])
        let needed = graph.ancestors(of: heads)
        var values = [TrainingNode?](repeating: nil, count: graph.nodes.count)
        for (i, node) in graph.nodes.enumerated() where needed.contains(i) {
            func x(_ k: Int) -> TrainingNode { values[node.inputs[k]]! }
            let op: (TrainingOp, TrainingNode)
            switch node.operation {
            case .input: values[i] = input; continue
            case .layer(let l): values[i] = try layer(x(0), l); continue
            case .maxPool: let o = try MaxPoolOp(input: x(0)); op = (o, o.output)
            case .concatenate: let o = try ConcatOp(x(0), x(1)); op = (o, o.output)
            case .softmax: let o = try SoftmaxOp(input: x(0)); op = (o, o.output)
            case .sum: let o = try SumOp(x(0), x(1)); op = (o, o.output)
            }
            values[i] = add(op.0, op.1)
        }
        logits2D = values[graph.logits2D]!
        logits3D = graph.logits3D.map { values[$0]! }
    }

    private func register(_ name: String, _ op: TrainingOp, _ w: LayerWeights) {
        let group: MultiLoss.Group = name.hasPrefix("pred") ? .predictor : name.hasPrefix("p0.") || name.hasPrefix("p1") ? .pyramid : .encoderDecoder
        parameters.append(TrainableParameter(name: name + ".kernel", group: group, values: w.kernel))
        parameters.append(TrainableParameter(name: name + ".bias", group: .unregularized, values: w.bias))
        layers.append((name, op, parameters.count - 2, parameters.count - 1))
        load(layers.count - 1)
    }

    private func load(_ index: Int) {
        let l = layers[index]
        let k = parameters[l.kernel].values, b = parameters[l.bias].values
        if let t = l.op as? TransposedConvolutionOp { t.setWeights(kernel: k, bias: b) }
        else if let c = l.op as? ConvolutionOp {
            k.withUnsafeBufferPointer { kp in b.withUnsafeBufferPointer { bp in c.setWeights(kernel: kp, bias: bp) } }
        }
    }

    func parametersDidChange() { for i in layers.indices { load(i) } }

    /// Runs the graph on a normalized window (shape `window`).
    func forwardForTraining(_ image: Volume<Float>) throws -> (logits2D: [Float]?, logits3D: [Float]) {
        try forward(image)
        let l2 = Array(UnsafeBufferPointer(start: logits2D.v, count: logits2D.count))
        guard let logits3D else { return (nil, l2) }
        return (l2, Array(UnsafeBufferPointer(start: logits3D.v, count: logits3D.count)))
    }

    func forward(_ image: Volume<Float>) throws(EngineError) {
        guard image.shape == window else {
            throw EngineError(.badInput, "training window \(image.shape) does not match the compiled \(window)")
        }
        image.data.withUnsafeBufferPointer { input.v.update(from: $0.baseAddress!, count: $0.count) }
        for op in ops { try op.forward() }
    }

    /// Back-propagates logit gradients of the last forward pass into every parameter's gradient.
    /// Without the pyramid the network's only output is the 2-D head, which receives `grad3D`.
    func backward(grad2D: [Float]?, grad3D: [Float]) throws {
        for n in nodes { n.zeroGrad() }
        func set(_ node: TrainingNode, _ g: [Float]) {
            precondition(g.count == node.count)
            g.withUnsafeBufferPointer { node.g.update(from: $0.baseAddress!, count: $0.count) }
        }
        if let logits3D {
            set(logits3D, grad3D)
            if let grad2D { set(logits2D, grad2D) }
        } else {
            set(logits2D, grad3D)
        }
        for op in ops.reversed() { try op.backward() }
        for l in layers {
            let kp = parameters[l.kernel], bp = parameters[l.bias]
            if let t = l.op as? TransposedConvolutionOp {
                t.gradients(kernel: &kp.gradient, bias: &bp.gradient)
            } else if let c = l.op as? ConvolutionOp {
                kp.gradient.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: c.diffWeights.floatPointer, count: $0.count) }
                bp.gradient.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: c.diffBias.floatPointer, count: $0.count) }
            }
        }
    }

    /// The current parameters as a model (for checkpoints and evaluation).
    func model(seed: Int, steps: Int, classNames: [String], evalMiouAll: Double = .nan,
                      evalMiouOrg: Double = .nan) -> NetworkModel {
        var weights: [String: LayerWeights] = [:]
        for l in layers {
            let layer = architecture.layer(l.name)!
            weights[l.name] = LayerWeights(kernel: parameters[l.kernel].values,
                                           kernelShape: [layer.outChannels, layer.inChannels] + layer.kernel,
                                           bias: parameters[l.bias].values)
        }
        return NetworkModel(architecture: architecture, classNames: classNames, seed: seed, steps: steps,
                            evalMiouAll: evalMiouAll, evalMiouOrg: evalMiouOrg, weights: weights)
    }
}
