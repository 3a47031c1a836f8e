/// The network as one graph of operations in execution order, emitted by `Architecture.graph`.
///
/// The inference plan (`CompiledNetwork`) and the training network (`TrainingNetwork`) both walk
/// these nodes, so the topology is written once, with the ablation switches already applied.
/// See docs/ARCHITECTURE.md, "Network graph".
struct NetworkGraph: Sendable, Equatable {
    /// What a node computes.
    enum Operation: Sendable, Equatable {
        /// The one-channel image window.
        case input
        /// A weighted layer: same-padded convolution or 1×2×2 transposed convolution, bias, and
        /// ReLU when the layer says so.
        case layer(Architecture.Layer)
        /// 1×2×2 max pooling with stride 1×2×2.
        case maxPool
        /// The inputs' channels stacked in order.
        case concatenate
        /// Softmax over channels.
        case softmax
        /// Element-wise sum of the inputs.
        case sum
    }

    /// One node: its operation, the nodes it reads, a name for plans and profiles (the model-file
    /// name for weighted layers), and the channels and resolution level of its result.
    struct Node: Sendable, Equatable {
        var operation: Operation
        /// Indices of the nodes read, all smaller than this node's own.
        var inputs: [Int]
        var name: String
        var channels: Int
        /// 0 is full resolution; each level halves y and x.
        var scale: Int

        /// The weighted layer of this node, if it is one.
        var layer: Architecture.Layer? {
            if case .layer(let l) = operation { return l }
            return nil
        }
    }

    /// Every node in execution order.
    private(set) var nodes: [Node] = []
    /// The node with the logits of the 2-D head.
    var logits2D = 0
    /// The node with the logits of the 3-D head; nil without the pyramid.
    var logits3D: Int?
    /// The node with the network's output probabilities (softmax of the last head).
    var probabilities = 0

    /// The weighted layers in execution order, which is also the order of training parameters
    /// and of the optimizer state in resume files.
    var layers: [Architecture.Layer] { nodes.compactMap(\.layer) }

    /// The nodes that the results of `targets` depend on, `targets` included.
    /// - Parameter targets: node indices.
    /// - Returns: the indices of every node computed on the way to them.
    func ancestors(of targets: [Int]) -> Set<Int> {
        var needed = Set<Int>(), stack = targets
        while let n = stack.popLast() {
            guard needed.insert(n).inserted else { continue }
            stack += nodes[n].inputs
        }
        return needed
    }

    /// The nodes that read node `index`.
    func consumers(of index: Int) -> [Int] {
        nodes.indices.filter { nodes[$0].inputs.contains(index) }
    }

    // MARK: Building (used by `Architecture.graph`)

    private mutating func add(_ operation: Operation, _ inputs: [Int], _ name: String, channels: Int, scale: Int) -> Int {
        precondition(inputs.allSatisfy { $0 < nodes.count }, "\(name): inputs must come first")
        nodes.append(Node(operation: operation, inputs: inputs, name: name, channels: channels, scale: scale))
        return nodes.count - 1
    }

    mutating func input() -> Int { add(.input, [], "input", channels: 1, scale: 0) }

    /// A same-padded convolution of `x` to `channels` with `kernel` (kd, kh, kw).
    mutating func convolution(_ name: String, _ x: Int, _ channels: Int, _ kernel: [Int], relu: Bool = true) -> Int {
        let s = nodes[x].scale
        let layer = Architecture.Layer(name: name, kind: .convolution, inChannels: nodes[x].channels, outChannels: channels,
                                       kernel: kernel, scale: s, relu: relu)
        return add(.layer(layer), [x], name, channels: channels, scale: s)
    }

    /// A 1×2×2 transposed convolution with stride 1×2×2 (doubles y and x) and ReLU.
    mutating func upConvolution(_ name: String, _ x: Int, _ channels: Int) -> Int {
        let s = nodes[x].scale - 1
        let layer = Architecture.Layer(name: name, kind: .transposed, inChannels: nodes[x].channels, outChannels: channels,
                                       kernel: [1, 2, 2], scale: s, relu: true)
        return add(.layer(layer), [x], name, channels: channels, scale: s)
    }

    mutating func maxPool(_ name: String, _ x: Int) -> Int {
        add(.maxPool, [x], name, channels: nodes[x].channels, scale: nodes[x].scale + 1)
    }

    mutating func concatenate(_ name: String, _ a: Int, _ b: Int) -> Int {
        precondition(nodes[a].scale == nodes[b].scale, "\(name): inputs at different scales")
        return add(.concatenate, [a, b], name, channels: nodes[a].channels + nodes[b].channels, scale: nodes[a].scale)
    }

    mutating func softmax(_ name: String, _ x: Int) -> Int {
        add(.softmax, [x], name, channels: nodes[x].channels, scale: nodes[x].scale)
    }

    mutating func sum(_ name: String, _ a: Int, _ b: Int) -> Int {
        precondition(nodes[a].channels == nodes[b].channels && nodes[a].scale == nodes[b].scale, "\(name): inputs differ in shape")
        return add(.sum, [a, b], name, channels: nodes[a].channels, scale: nodes[a].scale)
    }
}
