import DenseCellCore
import DenseCellIO
import Foundation

/// A trained (or freshly initialized) network: architecture switches, provenance attributes and
/// the weights of every layer, as stored in a model file (docs/ARCHITECTURE.md, "Model file").
public final class NetworkModel: @unchecked Sendable {
    /// The `format` attribute of every model file.
    public static let format = "densecell-model"
    /// The `format_version` this build reads and writes.
    public static let formatVersion = 1

    /// Width, classes and switches of the network.
    public var architecture: Architecture
    /// One name per output class, in channel order.
    public var classNames: [String]
    /// 3×3×3 convolutions per pyramid level (p0 has 3, p1 has 5), the file's `comps` attribute.
    var comps: [Int]
    /// The seed of the initial weights.
    public var seed: Int
    /// Training steps behind these weights.
    public var steps: Int
    /// Evaluation MIoU written by training; NaN when the model was never evaluated.
    var evalMiouAll: Double
    /// Evaluation MIoU over the organelle classes; NaN when never evaluated.
    var evalMiouOrg: Double
    /// Kernel and bias of every layer, by model-file layer name.
    var weights: [String: LayerWeights]
    /// The file the model was read from, if any.
    public internal(set) var path: String?

    /// - Parameters:
    ///   - architecture: width, classes and switches.
    ///   - classNames: one per class.
    ///   - comps: the `comps` attribute.
    ///   - seed: the seed of the initial weights.
    ///   - steps: training steps behind the weights.
    ///   - evalMiouAll: evaluation MIoU(all), NaN when never evaluated.
    ///   - evalMiouOrg: evaluation MIoU(org), NaN when never evaluated.
    ///   - weights: every layer of the architecture.
    init(architecture: Architecture, classNames: [String], comps: [Int] = [3, 5], seed: Int, steps: Int = 0,
                evalMiouAll: Double = .nan, evalMiouOrg: Double = .nan, weights: [String: LayerWeights]) {
        self.architecture = architecture; self.classNames = classNames; self.comps = comps; self.seed = seed
        self.steps = steps; self.evalMiouAll = evalMiouAll; self.evalMiouOrg = evalMiouOrg; self.weights = weights
    }

    /// w, the channels of the first full-resolution block.
    public var width: Int { architecture.width }
    /// Kernel and bias values held.
    public var parameterCount: Int { weights.values.reduce(0) { $0 + $1.kernel.count + $1.bias.count } }

    /// A new model with Xavier-uniform kernels (limit √(6 / (fan_in + fan_out)), fans counting the
    /// kernel taps) and zero biases, deterministic for `seed`.
    public static func random(_ architecture: Architecture, seed: Int, classNames: [String]? = nil) -> NetworkModel {
        var rng = SplitMix64(seed: UInt64(bitPattern: Int64(seed)))   // DenseCellCore's, stable across platforms
        var weights: [String: LayerWeights] = [:]
        for layer in architecture.layers {
            let taps = layer.kernel.reduce(1, *)
            let limit = Float((6.0 / Double((layer.inChannels + layer.outChannels) * taps)).squareRoot())
            let n = layer.outChannels * layer.inChannels * taps
            var kernel = [Float](repeating: 0, count: n)
            for i in 0..<n { kernel[i] = (rng.unit() * 2 - 1) * limit }
            weights[layer.name] = LayerWeights(kernel: kernel, kernelShape: [layer.outChannels, layer.inChannels] + layer.kernel,
                                               bias: [Float](repeating: 0, count: layer.outChannels))
        }
        let names = classNames ?? LabelSchema.platelet.classes.map(\.name)
        return NetworkModel(architecture: architecture, classNames: names, seed: seed, weights: weights)
    }

    /// Checks that every layer of the architecture is present with the right shape.
    /// - Parameter file: names the model in messages.
    /// - Throws: `EngineError(.badModel)` naming the first layer at fault.
    func validate(file: String = "model") throws(EngineError) {
        for layer in architecture.layers {
            guard let w = weights[layer.name] else {
                throw EngineError(.badModel, "\(file): missing /weights/\(layer.name)")
            }
            let expected = [layer.outChannels, layer.inChannels] + layer.kernel
            guard w.kernelShape == expected else {
                throw EngineError(.badModel, "\(file):/weights/\(layer.name)/kernel: shape \(w.kernelShape) but width \(width) needs \(expected)")
            }
            guard w.bias.count == layer.outChannels else {
                throw EngineError(.badModel, "\(file):/weights/\(layer.name)/bias: \(w.bias.count) values, expected \(layer.outChannels)")
            }
        }
        guard classNames.count == architecture.classes else {
            throw EngineError(.badModel, "\(file): \(classNames.count) class names for \(architecture.classes) classes")
        }
    }

    // MARK: Files

    /// Reads a model file, checking its format and every layer's shape.
    /// - Parameter path: the model file.
    /// - Returns: the model, with `path` set.
    /// - Throws: `IOError` when the file cannot be read, `EngineError(.badModel)` when it is not a
    ///   usable model.
    static func load(path: String) throws -> NetworkModel {
        let file = try HDF5File(path: path)
        func attr(_ name: String) throws(EngineError) -> AttributeValue {
            guard let v = file.attribute("/", name) else {
                throw EngineError(.badModel, "\(path): missing attribute \(name) (not a densecell model file?)")
            }
            return v
        }
        guard try attr("format").stringValue == format else {
            throw EngineError(.badModel, "\(path): not a densecell model file (format attribute is not \(format))")
        }
        guard let version = try attr("format_version").intValues?.first, version == formatVersion else {
            throw EngineError(.badModel, "\(path): unsupported model format_version (this build reads \(formatVersion))")
        }
        guard try attr("architecture").stringValue == "2d3d" else {
            throw EngineError(.badModel, "\(path): unsupported architecture (expected 2d3d)")
        }
        func int(_ name: String) throws(EngineError) -> Int {
            guard let v = try attr(name).intValues?.first else { throw EngineError(.badModel, "\(path): attribute \(name) is not a number") }
            return v
        }
        func double(_ name: String) throws(EngineError) -> Double {
            guard let v = try attr(name).doubleValues?.first else { throw EngineError(.badModel, "\(path): attribute \(name) is not a number") }
            return v
        }
        let architecture = Architecture(width: try int("width"), classes: try int("classes"),
                                        conv333: try int("conv333") != 0, pyramid: try int("pyramid") != 0)
        guard Architecture.isValidWidth(architecture.width), architecture.classes >= 2 else {
            throw EngineError(.badModel, "\(path): width must be even and ≥ 2, classes ≥ 2")
        }
        let names: [String]
        switch try attr("class_names") {
        case .strings(let s): names = s
        case .string(let s): names = [s]
        default: throw EngineError(.badModel, "\(path): class_names is not a list of strings")
        }
        var weights: [String: LayerWeights] = [:]
        for layer in architecture.layers {
            let base = "/weights/\(layer.name)"
            guard file.isDataset(base + "/kernel"), file.isDataset(base + "/bias") else {
                throw EngineError(.badModel, "\(path): missing \(base)/kernel or \(base)/bias")
            }
            let k = try file.readArray(base + "/kernel", as: .float32, of: Float.self)
            let b = try file.readArray(base + "/bias", as: .float32, of: Float.self)
            let expected = [layer.outChannels, layer.inChannels] + layer.kernel
            guard k.dims == expected else {
                throw EngineError(.badModel, "\(path):\(base)/kernel: shape \(k.dims) but width \(architecture.width) needs \(expected)")
            }
            guard b.dims == [layer.outChannels] else {
                throw EngineError(.badModel, "\(path):\(base)/bias: shape \(b.dims), expected [\(layer.outChannels)]")
            }
            weights[layer.name] = LayerWeights(kernel: k.data, kernelShape: k.dims, bias: b.data)
        }
        let model = NetworkModel(architecture: architecture, classNames: names,
                                 comps: try attr("comps").intValues ?? [3, 5], seed: try int("seed"), steps: try int("steps"),
                                 evalMiouAll: try double("eval_miou_all"), evalMiouOrg: try double("eval_miou_org"),
                                 weights: weights)
        try model.validate(file: path)
        model.path = path
        return model
    }

    /// Writes the model file atomically (temporary name, then rename).
    /// - Parameter path: the model file to create or replace.
    /// - Throws: `EngineError` for an inconsistent model, `IOError` when the file cannot be written.
    public func write(path: String) throws {
        try validate(file: path)
        try AtomicFile.write(to: path) { (tmp: String) throws(IOError) in
            let file = try HDF5File(path: tmp, mode: .truncate)
            try file.setAttribute("/", "format", .string(Self.format))
            try file.setAttribute("/", "format_version", .ints([Self.formatVersion]))
            try file.setAttribute("/", "architecture", .string("2d3d"))
            try file.setAttribute("/", "width", .ints([architecture.width]))
            try file.setAttribute("/", "classes", .ints([architecture.classes]))
            try file.setAttribute("/", "comps", .ints(comps))
            try file.setAttribute("/", "conv333", .ints([architecture.conv333 ? 1 : 0]))
            try file.setAttribute("/", "pyramid", .ints([architecture.pyramid ? 1 : 0]))
            try file.setAttribute("/", "class_names", .strings(classNames))
            try file.setAttribute("/", "seed", .ints([seed]))
            try file.setAttribute("/", "steps", .ints([steps]))
            try file.setAttribute("/", "eval_miou_all", .doubles([evalMiouAll]))
            try file.setAttribute("/", "eval_miou_org", .doubles([evalMiouOrg]))
            for layer in architecture.layers {
                let w = weights[layer.name]!
                try file.writeArray("/weights/\(layer.name)/kernel", dims: w.kernelShape, data: w.kernel, memoryType: .float32)
                try file.writeArray("/weights/\(layer.name)/bias", dims: [w.bias.count], data: w.bias, memoryType: .float32)
            }
            try file.flush()
        }
        self.path = path
    }
}
