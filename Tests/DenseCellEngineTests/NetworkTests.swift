import XCTest
import DenseCellCore
import DenseCellIO
@testable import DenseCellEngine

final class NetworkTests: XCTestCase {
    func testParameterAndCostCountsAtWidth64() {
        let arch = Architecture(width: 64)
        XCTAssertEqual(arch.parameterCount, 4_652_782)
        XCTAssertEqual(arch.macsPerOutputVoxel, 1_397_184)
        XCTAssertEqual(NetworkModel.random(arch, seed: 1).parameterCount, 4_652_782)
        // Ablations only remove or shrink layers.
        XCTAssertLessThan(Architecture(width: 64, conv333: false).parameterCount, arch.parameterCount)
        XCTAssertEqual(Architecture(width: 64, pyramid: false).layers.last?.name, "pred2d")
    }

    /// The graph in the order plans, training parameters and resume files depend on, with the
    /// channels each skip and the pyramid receive; the ablations only drop or shrink nodes.
    func testGraphOrderChannelsAndAblations() {
        let twoD = ["enc0.conv0", "enc0.conv1", "enc0.conv2", "pool0", "enc1.conv0", "enc1.conv1", "enc1.conv2", "pool1",
                    "bottom.conv0", "bottom.conv1", "up1", "concat1", "dec1.conv0", "dec1.conv1", "dec1.conv2", "up0",
                    "concat0", "dec0.conv0", "dec0.conv1", "dec0.conv2", "pred2d", "softmax2d"]
        let pyramid = ["concat-h", "p0.conv0", "p0.conv1", "p0.conv2", "pool-h", "p1.conv0", "p1.conv1", "p1.conv2",
                       "p1.conv3", "p1.conv4", "p1end", "p1up", "sum-p", "pred3d", "softmax3d"]
        let full = Architecture(width: 8).graph
        XCTAssertEqual(full.nodes.map(\.name), ["input"] + twoD + pyramid)
        let flat = Architecture(width: 8, pyramid: false).graph
        XCTAssertEqual(flat.nodes.map(\.name), ["input"] + twoD)
        XCTAssertNil(flat.logits3D)
        XCTAssertEqual(flat.nodes[flat.probabilities].name, "softmax2d")
        XCTAssertEqual(full.nodes[full.logits2D].name, "pred2d")
        XCTAssertEqual(full.nodes[full.logits3D!].name, "pred3d")
        XCTAssertEqual(full.nodes[full.probabilities].name, "softmax3d")

        let node = Dictionary(uniqueKeysWithValues: full.nodes.map { ($0.name, $0) })
        func inputs(_ name: String) -> [String] { node[name]!.inputs.map { full.nodes[$0].name } }
        XCTAssertEqual(inputs("concat1"), ["up1", "enc1.conv2"])
        XCTAssertEqual(node["concat1"]!.channels, 2 * 8 + 2 * 8)
        XCTAssertEqual(node["concat1"]!.scale, 1)
        XCTAssertEqual(inputs("concat-h"), ["dec0.conv2", "softmax2d"])
        XCTAssertEqual(node["concat-h"]!.channels, 8 + 7)
        XCTAssertEqual(inputs("pool-h"), ["concat-h"])
        XCTAssertEqual(node["p1.conv0"]!.layer?.inChannels, 8 + 7)
        XCTAssertEqual(node["p1.conv0"]!.scale, 1)
        XCTAssertEqual(inputs("sum-p"), ["p0.conv2", "p1up"])
        XCTAssertEqual(node["p1up"]!.scale, 0)
        // Training needs the heads' logits, not the final softmax.
        XCTAssertFalse(full.ancestors(of: [full.logits2D, full.logits3D!]).contains(full.probabilities))
        XCTAssertFalse(flat.ancestors(of: [flat.logits2D]).contains(flat.probabilities))

        // 1×3×3 block-initial convolutions change only the kernels of the four block starts.
        let thin = Architecture(width: 8, conv333: false).layers, thick = Architecture(width: 8).layers
        XCTAssertEqual(thin.map(\.name), thick.map(\.name))
        let starts = ["enc0.conv0", "enc1.conv0", "dec1.conv0", "dec0.conv0"]
        for (a, b) in zip(thin, thick) {
            XCTAssertEqual(a.kernel, starts.contains(a.name) ? [1, 3, 3] : b.kernel, a.name)
            XCTAssertEqual(b.kernel, starts.contains(b.name) ? [3, 3, 3] : a.kernel, b.name)
        }
    }

    /// The compiled network against the nested-loop reference, for every ablation.
    func testWholeNetworkMatchesReference() throws {
        var r = TestRandom(10)
        for (conv333, pyramid) in [(true, true), (false, true), (true, false)] {
            let arch = Architecture(width: 8, conv333: conv333, pyramid: pyramid)
            let model = r.model(arch, seed: 5)
            let shape = Shape3(3, 12, 8)
            let image = r.array(shape.count, -2, 2)
            let network = try CompiledNetwork(model, shape: shape, precision: .f32)
            var got = [Float](repeating: 0, count: 7 * shape.count)
            try image.withUnsafeBufferPointer { i in
                try got.withUnsafeMutableBufferPointer { o in try network.run(image: i, probabilities: o) }
            }
            let want = Reference.network(model, image: RefTensor(c: 1, z: 3, y: 12, x: 8, data: image))
            XCTAssertLessThanOrEqual(maxRelativeError(got, want.data), 1e-4, "conv333=\(conv333) pyramid=\(pyramid)")
            // Probabilities sum to one per voxel.
            for v in 0..<shape.count {
                let s = (0..<7).reduce(Float(0)) { $0 + got[$1 * shape.count + v] }
                XCTAssertEqual(s, 1, accuracy: 1e-5)
            }
        }
    }

    /// A wider network where channel counts are multiples of the 16-channel blocking.
    func testWidth32NetworkMatchesReference() throws {
        var r = TestRandom(11)
        let model = r.model(Architecture(width: 32), seed: 6)
        let shape = Shape3(5, 8, 8)
        let image = r.array(shape.count, -2, 2)
        let network = try CompiledNetwork(model, shape: shape, precision: .f32)
        var got = [Float](repeating: 0, count: 7 * shape.count)
        try image.withUnsafeBufferPointer { i in
            try got.withUnsafeMutableBufferPointer { o in try network.run(image: i, probabilities: o) }
        }
        let want = Reference.network(model, image: RefTensor(c: 1, z: 5, y: 8, x: 8, data: image))
        XCTAssertLessThanOrEqual(maxRelativeError(got, want.data), 1e-4)
    }

    func testModelFileRoundTripsBitExactly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dc-model-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var r = TestRandom(12)
        let model = r.model(Architecture(width: 8, conv333: false), seed: 42)
        model.steps = 1234; model.evalMiouAll = 0.61; model.evalMiouOrg = 0.5
        let path = dir.appendingPathComponent("m.h5").path
        try model.write(path: path)
        let back = try NetworkModel.load(path: path)
        XCTAssertEqual(back.architecture, model.architecture)
        XCTAssertEqual(back.classNames, model.classNames)
        XCTAssertEqual(back.seed, 42); XCTAssertEqual(back.steps, 1234)
        XCTAssertEqual(back.evalMiouAll, 0.61); XCTAssertEqual(back.evalMiouOrg, 0.5)
        XCTAssertEqual(back.comps, [3, 5])
        XCTAssertEqual(Set(back.weights.keys), Set(model.weights.keys))
        for (name, w) in model.weights {
            let b = back.weights[name]!
            XCTAssertEqual(b.kernelShape, w.kernelShape)
            XCTAssertEqual(b.kernel.map(\.bitPattern), w.kernel.map(\.bitPattern), name)
            XCTAssertEqual(b.bias.map(\.bitPattern), w.bias.map(\.bitPattern), name)
        }
        // The file holds the layout of docs/ARCHITECTURE.md, "Model file".
        let file = try HDF5File(path: path)
        XCTAssertEqual(file.attribute("/", "format")?.stringValue, "densecell-model")
        XCTAssertEqual(try file.info("/weights/enc0.conv0/kernel").dims, [4, 1, 1, 3, 3])
        XCTAssertEqual(try file.info("/weights/up1/kernel").dims, [16, 32, 1, 2, 2])
    }

    func testXavierInitIsSeededAndBounded() {
        let a = NetworkModel.random(Architecture(width: 8), seed: 3)
        let b = NetworkModel.random(Architecture(width: 8), seed: 3)
        let c = NetworkModel.random(Architecture(width: 8), seed: 4)
        XCTAssertEqual(a.weights, b.weights)
        XCTAssertNotEqual(a.weights["enc0.conv0"], c.weights["enc0.conv0"])
        let w = a.weights["p1.conv1"]!   // 16→16, 3×3×3: limit √(6 / (2·16·27))
        let limit = Float((6.0 / Double(2 * 16 * 27)).squareRoot())
        XCTAssertLessThanOrEqual(w.kernel.map(abs).max()!, limit)
        XCTAssertGreaterThan(w.kernel.map(abs).max()!, 0.9 * limit)
        XCTAssertEqual(Double(w.kernel.reduce(0, +)) / Double(w.kernel.count), 0, accuracy: 0.05 * Double(limit))
    }

    func testBadModelFilesAreRejected() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dc-badmodel-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.h5").path
        try NetworkModel.random(Architecture(width: 8), seed: 1).write(path: path)
        do {
            let f = try HDF5File(path: path, mode: .readWrite)
            try f.writeArray("/weights/p0.conv1/kernel", dims: [8, 8, 1, 3, 3], data: [Float](repeating: 0, count: 576), memoryType: .float32)
        }
        XCTAssertThrowsError(try NetworkModel.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("p0.conv1"), "\(error)")
        }
    }
}

final class PrecisionTests: XCTestCase {
    /// bf16 activations and weights cost a little probability accuracy, never the shape of the result.
    func testBF16IsCloseToF32() throws {
        var r = TestRandom(30)
        let model = r.model(Architecture(width: 16), seed: 9)
        let shape = Shape3(5, 16, 16)
        let image = r.array(shape.count, -2, 2)
        var f32 = [Float](repeating: 0, count: 7 * shape.count), bf16 = f32
        try image.withUnsafeBufferPointer { i in
            try f32.withUnsafeMutableBufferPointer { o in try CompiledNetwork(model, shape: shape, precision: .f32).run(image: i, probabilities: o) }
            try bf16.withUnsafeMutableBufferPointer { o in try CompiledNetwork(model, shape: shape, precision: .bf16).run(image: i, probabilities: o) }
        }
        let worst = zip(f32, bf16).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 0.02)
        XCTAssertGreaterThan(worst, 0, "bf16 really ran in reduced precision")
    }
}

final class ActivationPoolTests: XCTestCase {
    /// Activations are placed by liveness: the pool holds a few full-size tensors, not one per layer,
    /// and results do not change when two networks share one pool.
    func testPoolIsSmallAndShareable() throws {
        var r = TestRandom(40)
        let a = r.model(Architecture(width: 16), seed: 1), b = r.model(Architecture(width: 16), seed: 2)
        let shape = Shape3(5, 32, 32)
        let pool = ActivationPool()
        let na = try CompiledNetwork(a, shape: shape, precision: .f32, pool: pool)
        let nb = try CompiledNetwork(b, shape: shape, precision: .f32, pool: pool)
        let separate = try CompiledNetwork(a, shape: shape, precision: .f32)
        var pooledSum = 0
        var seen = Set<ObjectIdentifier>()
        for step in na.plan.steps { for t in step.tensors where t.isPooled && seen.insert(ObjectIdentifier(t)).inserted { pooledSum += t.byteCount } }
        XCTAssertLessThan(na.plan.activationBytes * 3, pooledSum, "pool \(na.plan.activationBytes) vs \(pooledSum) bytes of activations")
        let image = r.array(shape.count)
        func run(_ n: CompiledNetwork) throws -> [Float] {
            var out = [Float](repeating: 0, count: 7 * shape.count)
            try image.withUnsafeBufferPointer { i in try out.withUnsafeMutableBufferPointer { o in try n.run(image: i, probabilities: o) } }
            return out
        }
        let first = try run(na)
        _ = try run(nb)   // overwrites the shared activations
        XCTAssertEqual(try run(na), first)
        XCTAssertEqual(try run(separate), first)
    }
}
