/// The 2D–3D "+3×3×3" network of DESIGN §4 as a table of layers, for any width.
public struct Architecture: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case convolution, transposed }

    /// One weighted layer: model-file name, kind, channels, kernel and the scale it runs at
    /// (0 = full resolution, each scale halves y and x).
    public struct Layer: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public var inChannels: Int
        public var outChannels: Int
        public var kernel: [Int]          // kd, kh, kw
        public var scale: Int             // scale of the layer's output
        public var relu: Bool
        public var parameters: Int { outChannels * inChannels * kernel.reduce(1, *) + outChannels }
        /// Multiply-adds per voxel of the full-resolution output.
        public var macsPerOutputVoxel: Double {
            let perOwnVoxel = kind == .transposed
                ? Double(inChannels * outChannels)    // each output voxel receives one kernel tap per input channel
                : Double(inChannels * outChannels * kernel.reduce(1, *))
            return perOwnVoxel / Double(1 << (2 * scale))
        }
    }

    public var width: Int
    public var classes: Int
    public var conv333: Bool
    public var pyramid: Bool

    public init(width: Int, classes: Int = 7, conv333: Bool = true, pyramid: Bool = true) {
        self.width = width; self.classes = classes; self.conv333 = conv333; self.pyramid = pyramid
    }

    /// Every weighted layer in execution order.
    public var layers: [Layer] {
        let w = width, c = classes
        let k3 = [3, 3, 3], k2 = [1, 3, 3], k1 = [1, 1, 1], up = [1, 2, 2]
        let first = conv333 ? k3 : k2
        func conv(_ n: String, _ i: Int, _ o: Int, _ k: [Int], _ s: Int, relu: Bool = true) -> Layer {
            Layer(name: n, kind: .convolution, inChannels: i, outChannels: o, kernel: k, scale: s, relu: relu)
        }
        func tconv(_ n: String, _ i: Int, _ o: Int, _ s: Int) -> Layer {
            Layer(name: n, kind: .transposed, inChannels: i, outChannels: o, kernel: up, scale: s, relu: true)
        }
        var l: [Layer] = [
            conv("enc0.conv0", 1, w / 2, first, 0),
            conv("enc0.conv1", w / 2, w, k2, 0),
            conv("enc0.conv2", w, w, k2, 0),
            conv("enc1.conv0", w, w, first, 1),
            conv("enc1.conv1", w, 2 * w, k2, 1),
            conv("enc1.conv2", 2 * w, 2 * w, k2, 1),
            conv("bottom.conv0", 2 * w, 4 * w, k2, 2),
            conv("bottom.conv1", 4 * w, 4 * w, k2, 2),
            tconv("up1", 4 * w, 2 * w, 1),
            conv("dec1.conv0", 4 * w, w, first, 1),
            conv("dec1.conv1", w, 2 * w, k2, 1),
            conv("dec1.conv2", 2 * w, 2 * w, k2, 1),
            tconv("up0", 2 * w, w, 0),
            conv("dec0.conv0", 2 * w, w / 2, first, 0),
            conv("dec0.conv1", w / 2, w, k2, 0),
            conv("dec0.conv2", w, w, k2, 0),
            conv("pred2d", w, c, k1, 0, relu: false),
        ]
        guard pyramid else { return l }
        l += [
            conv("p0.conv0", w + c, w, k3, 0),
            conv("p0.conv1", w, w, k3, 0),
            conv("p0.conv2", w, w, k3, 0),
            conv("p1.conv0", w + c, 2 * w, k3, 1),
            conv("p1.conv1", 2 * w, 2 * w, k3, 1),
            conv("p1.conv2", 2 * w, 2 * w, k3, 1),
            conv("p1.conv3", 2 * w, 2 * w, k3, 1),
            conv("p1.conv4", 2 * w, 2 * w, k3, 1),
            conv("p1end", 2 * w, w, k1, 1),
            tconv("p1up", w, w, 0),
            conv("pred3d", w, c, k1, 0, relu: false),
        ]
        return l
    }

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameters } }
    public var macsPerOutputVoxel: Double { layers.reduce(0) { $0 + $1.macsPerOutputVoxel } }
    public func layer(_ name: String) -> Layer? { layers.first { $0.name == name } }
}
