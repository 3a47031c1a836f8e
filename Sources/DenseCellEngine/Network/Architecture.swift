import DenseCellCore

/// The 2D–3D "+3×3×3" network for any width: its switches, its graph and its weighted layers.
/// See docs/ARCHITECTURE.md, "Network graph".
public struct Architecture: Sendable, Equatable {
    /// How a weighted layer combines its input.
    enum Kind: Sendable, Equatable {
        /// Same-padded convolution with stride 1.
        case convolution
        /// 1×2×2 transposed convolution with stride 1×2×2.
        case transposed
    }

    /// One weighted layer: model-file name, kind, channels, kernel and the scale it runs at
    /// (0 = full resolution, each scale halves y and x).
    public struct Layer: Sendable, Equatable {
        /// The layer's name in the model file.
        var name: String
        /// Convolution or transposed convolution.
        var kind: Kind
        /// Channels read.
        var inChannels: Int
        /// Channels written.
        var outChannels: Int
        /// Kernel extent (kd, kh, kw).
        var kernel: [Int]
        /// Scale of the layer's output.
        var scale: Int
        /// Whether a ReLU follows the layer (false for the heads, which give logits).
        var relu: Bool
        /// Kernel and bias values.
        var parameters: Int { outChannels * inChannels * kernel.reduce(1, *) + outChannels }
        /// Multiply-adds per voxel of the full-resolution output.
        public var macsPerOutputVoxel: Double {
            let perOwnVoxel = kind == .transposed
                ? Double(inChannels * outChannels)    // each output voxel receives one kernel tap per input channel
                : Double(inChannels * outChannels * kernel.reduce(1, *))
            return perOwnVoxel / Double(1 << (2 * scale))
        }
    }

    /// w: channels of the first full-resolution block (paper: 64).
    public var width: Int
    /// Output classes (channels of the head).
    public var classes: Int
    /// Block-initial convolutions are 3×3×3 (true, the paper's "+3×3×3") or 1×3×3 (ablation).
    public var conv333: Bool
    /// The 3-D pyramid and its head follow the 2-D network (false: the 2-D head is the output).
    public var pyramid: Bool

    /// - Parameters:
    ///   - width: w, even and at least 2.
    ///   - classes: output classes.
    ///   - conv333: 3×3×3 block-initial convolutions.
    ///   - pyramid: the 3-D pyramid and head.
    public init(width: Int, classes: Int = 7, conv333: Bool = true, pyramid: Bool = true) {
        self.width = width; self.classes = classes; self.conv333 = conv333; self.pyramid = pyramid
    }

    /// The network as a graph of operations, switches applied: a 2-D U-Net (1×3×3 convolutions,
    /// two 1×2×2 poolings, transposed up-convolutions, skip concatenations) whose softmax output
    /// and last features feed a two-level 3-D pyramid of 3×3×3 convolutions summed at full resolution.
    var graph: NetworkGraph {
        let w = width, c = classes
        let k3 = [3, 3, 3], k2 = [1, 3, 3], k1 = [1, 1, 1]
        let first = conv333 ? k3 : k2
        var g = NetworkGraph()
        let x = g.input()
        var t = g.convolution("enc0.conv0", x, w / 2, first)
        t = g.convolution("enc0.conv1", t, w, k2)
        let enc0 = g.convolution("enc0.conv2", t, w, k2)
        t = g.maxPool("pool0", enc0)
        t = g.convolution("enc1.conv0", t, w, first)
        t = g.convolution("enc1.conv1", t, 2 * w, k2)
        let enc1 = g.convolution("enc1.conv2", t, 2 * w, k2)
        t = g.maxPool("pool1", enc1)
        t = g.convolution("bottom.conv0", t, 4 * w, k2)
        t = g.convolution("bottom.conv1", t, 4 * w, k2)
        t = g.upConvolution("up1", t, 2 * w)
        t = g.concatenate("concat1", t, enc1)
        t = g.convolution("dec1.conv0", t, w, first)
        t = g.convolution("dec1.conv1", t, 2 * w, k2)
        t = g.convolution("dec1.conv2", t, 2 * w, k2)
        t = g.upConvolution("up0", t, w)
        t = g.concatenate("concat0", t, enc0)
        t = g.convolution("dec0.conv0", t, w / 2, first)
        t = g.convolution("dec0.conv1", t, w, k2)
        let dec0 = g.convolution("dec0.conv2", t, w, k2)
        g.logits2D = g.convolution("pred2d", dec0, c, k1, relu: false)
        g.probabilities = g.softmax("softmax2d", g.logits2D)
        guard pyramid else { return g }
        // Level 0 at full resolution, level 1 at half, both fed the 2-D features and probabilities.
        let h = g.concatenate("concat-h", dec0, g.probabilities)
        t = g.convolution("p0.conv0", h, w, k3)
        t = g.convolution("p0.conv1", t, w, k3)
        let p0 = g.convolution("p0.conv2", t, w, k3)
        t = g.maxPool("pool-h", h)
        t = g.convolution("p1.conv0", t, 2 * w, k3)
        for i in 1..<5 { t = g.convolution("p1.conv\(i)", t, 2 * w, k3) }
        t = g.convolution("p1end", t, w, k1)
        let p1 = g.upConvolution("p1up", t, w)
        let summed = g.sum("sum-p", p0, p1)
        let logits3D = g.convolution("pred3d", summed, c, k1, relu: false)
        g.logits3D = logits3D
        g.probabilities = g.softmax("softmax3d", logits3D)
        return g
    }

    /// Every weighted layer in execution order.
    var layers: [Layer] { graph.layers }
    /// Kernel and bias values of all layers.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameters } }
    /// Multiply-adds of the whole network per output voxel.
    public var macsPerOutputVoxel: Double { layers.reduce(0) { $0 + $1.macsPerOutputVoxel } }
    /// The weighted layer called `name` in model files, if the architecture has one.
    public func layer(_ name: String) -> Layer? { layers.first { $0.name == name } }

    // MARK: What the network accepts

    /// Widths a network can have: even (the first convolution has w/2 channels) and at least 2.
    public static func isValidWidth(_ width: Int) -> Bool { width >= 2 && width % 2 == 0 }

    /// Windows the network runs on: at least one slice, y and x multiples of 4 (two 2×2 poolings).
    public static func isValidWindow(_ window: Shape3) -> Bool { window.z >= 1 && window.y % 4 == 0 && window.x % 4 == 0 }

    /// - Throws: `EngineError(.badInput)` naming `what` when `window` is not an `isValidWindow`.
    static func checkWindow(_ window: Shape3, what: String = "window") throws(EngineError) {
        guard isValidWindow(window) else {
            throw EngineError(.badInput, "\(what) \(window): y and x must be multiples of 4 (two 2×2 poolings)")
        }
    }

    /// A lower bound of the bytes one window takes while the network runs: the plain input and
    /// class probabilities, and the largest step's input and output activations, which must be
    /// held at once whatever the plan's memory layout.
    func activationBytes(window: Shape3, precision: Precision) -> Double {
        let element = precision == .bf16 ? 2.0 : 4.0
        let nodes = graph.nodes
        func bytes(_ n: Int) -> Double {
            let s = nodes[n].scale
            return Double(nodes[n].channels) * Double(window.z) * Double(window.y >> s) * Double(window.x >> s) * element
        }
        let largestStep = nodes.indices.map { n in nodes[n].inputs.reduce(bytes(n)) { $0 + bytes($1) } }.max() ?? 0
        return Double(window.count) * 4 * Double(1 + classes) + largestStep
    }
}
