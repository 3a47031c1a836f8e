import DenseCellCore
import Foundation
@testable import DenseCellEngine

/// Plain nested-loop implementations of every network operation, written for obviousness, not
/// speed. Tensors are (channels, z, y, x) flat arrays in double precision accumulation.
struct RefTensor {
    var c: Int, z: Int, y: Int, x: Int
    var data: [Float]
    init(c: Int, z: Int, y: Int, x: Int, data: [Float]? = nil) {
        self.c = c; self.z = z; self.y = y; self.x = x
        self.data = data ?? [Float](repeating: 0, count: c * z * y * x)
        precondition(self.data.count == c * z * y * x)
    }
    func idx(_ ch: Int, _ k: Int, _ j: Int, _ i: Int) -> Int { ((ch * z + k) * y + j) * x + i }
    subscript(ch: Int, k: Int, j: Int, i: Int) -> Float {
        get { data[idx(ch, k, j, i)] }
        set { data[idx(ch, k, j, i)] = newValue }
    }
    var shape: Shape3 { Shape3(z, y, x) }
}

enum Reference {
    /// Same-padded (zero) stride-1 convolution with bias: out[o] = b[o] + Σ_i Σ_k K[o,i,k] · in[i, p + k − pad].
    static func conv(_ t: RefTensor, _ w: LayerWeights, relu: Bool) -> RefTensor {
        let (kd, kh, kw) = w.kernelSize
        let pd = (kd - 1) / 2, ph = (kh - 1) / 2, pw = (kw - 1) / 2
        var out = RefTensor(c: w.outChannels, z: t.z, y: t.y, x: t.x)
        for o in 0..<w.outChannels {
            for z in 0..<t.z { for y in 0..<t.y { for x in 0..<t.x {
                var s = Double(w.bias[o])
                for i in 0..<t.c {
                    for a in 0..<kd { for b in 0..<kh { for c in 0..<kw {
                        let zz = z + a - pd, yy = y + b - ph, xx = x + c - pw
                        if zz < 0 || zz >= t.z || yy < 0 || yy >= t.y || xx < 0 || xx >= t.x { continue }
                        let k = w.kernel[(((o * w.inChannels + i) * kd + a) * kh + b) * kw + c]
                        s += Double(k) * Double(t[i, zz, yy, xx])
                    } } }
                }
                out[o, z, y, x] = Float(relu ? max(0, s) : s)
            } } }
        }
        return out
    }

    /// Transposed convolution, kernel 1×2×2, stride (1, 2, 2): each input voxel spreads its
    /// value times K[o, i, 0, b, c] to output (z, 2y + b, 2x + c).
    static func transposedConv(_ t: RefTensor, _ w: LayerWeights, relu: Bool) -> RefTensor {
        var out = RefTensor(c: w.outChannels, z: t.z, y: 2 * t.y, x: 2 * t.x)
        for o in 0..<w.outChannels {
            for z in 0..<t.z { for y in 0..<2 * t.y { for x in 0..<2 * t.x {
                var s = Double(w.bias[o])
                let b = y % 2, c = x % 2
                for i in 0..<t.c {
                    s += Double(w.kernel[((o * w.inChannels + i) * 2 + b) * 2 + c]) * Double(t[i, z, y / 2, x / 2])
                }
                out[o, z, y, x] = Float(relu ? max(0, s) : s)
            } } }
        }
        return out
    }

    static func maxPool(_ t: RefTensor) -> RefTensor {
        var out = RefTensor(c: t.c, z: t.z, y: t.y / 2, x: t.x / 2)
        for ch in 0..<t.c { for z in 0..<t.z { for y in 0..<out.y { for x in 0..<out.x {
            out[ch, z, y, x] = max(max(t[ch, z, 2 * y, 2 * x], t[ch, z, 2 * y, 2 * x + 1]),
                                   max(t[ch, z, 2 * y + 1, 2 * x], t[ch, z, 2 * y + 1, 2 * x + 1]))
        } } } }
        return out
    }

    static func softmax(_ t: RefTensor) -> RefTensor {
        var out = t
        for z in 0..<t.z { for y in 0..<t.y { for x in 0..<t.x {
            var m = -Double.infinity
            for ch in 0..<t.c { m = max(m, Double(t[ch, z, y, x])) }
            var sum = 0.0
            for ch in 0..<t.c { sum += exp(Double(t[ch, z, y, x]) - m) }
            for ch in 0..<t.c { out[ch, z, y, x] = Float(exp(Double(t[ch, z, y, x]) - m) / sum) }
        } } }
        return out
    }

    static func concat(_ a: RefTensor, _ b: RefTensor) -> RefTensor {
        RefTensor(c: a.c + b.c, z: a.z, y: a.y, x: a.x, data: a.data + b.data)
    }

    static func add(_ a: RefTensor, _ b: RefTensor) -> RefTensor {
        RefTensor(c: a.c, z: a.z, y: a.y, x: a.x, data: zip(a.data, b.data).map { $0 + $1 })
    }

    /// The whole network (docs/ARCHITECTURE.md, "Network graph"), layer by layer, written out
    /// here rather than walked from `Architecture.graph`, so a mistake in the graph shows.
    static func network(_ model: NetworkModel, image: RefTensor) -> RefTensor {
        let arch = model.architecture
        func c(_ t: RefTensor, _ name: String) -> RefTensor {
            let l = arch.layer(name)!
            let w = model.weights[name]!
            return l.kind == .transposed ? transposedConv(t, w, relu: l.relu) : conv(t, w, relu: l.relu)
        }
        let enc0 = c(c(c(image, "enc0.conv0"), "enc0.conv1"), "enc0.conv2")
        let enc1 = c(c(c(maxPool(enc0), "enc1.conv0"), "enc1.conv1"), "enc1.conv2")
        let bottom = c(c(maxPool(enc1), "bottom.conv0"), "bottom.conv1")
        let dec1 = c(c(c(concat(c(bottom, "up1"), enc1), "dec1.conv0"), "dec1.conv1"), "dec1.conv2")
        let dec0 = c(c(c(concat(c(dec1, "up0"), enc0), "dec0.conv0"), "dec0.conv1"), "dec0.conv2")
        let p2 = softmax(c(dec0, "pred2d"))
        guard arch.pyramid else { return p2 }
        let h = concat(dec0, p2)
        let p0 = c(c(c(h, "p0.conv0"), "p0.conv1"), "p0.conv2")
        var p1 = maxPool(h)
        for i in 0..<5 { p1 = c(p1, "p1.conv\(i)") }
        let up = c(c(p1, "p1end"), "p1up")
        return softmax(c(add(p0, up), "pred3d"))
    }
}

/// Random values for tests, deterministic per seed.
struct TestRandom {
    var rng: SplitMix64
    init(_ seed: UInt64) { rng = SplitMix64(seed: seed) }
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * rng.unit() }
    mutating func array(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] { (0..<n).map { _ in uniform(lo, hi) } }
    mutating func weights(out: Int, in i: Int, kernel: [Int], scale: Float = 0.5) -> LayerWeights {
        let n = out * i * kernel.reduce(1, *)
        return LayerWeights(kernel: array(n, -scale, scale), kernelShape: [out, i] + kernel, bias: array(out, -0.2, 0.2))
    }
    /// A model with random kernels and nonzero random biases (Xavier init leaves biases at 0).
    mutating func model(_ arch: Architecture, seed: Int) -> NetworkModel {
        let m = NetworkModel.random(arch, seed: seed)
        for (name, w) in m.weights {
            m.weights[name] = LayerWeights(kernel: w.kernel, kernelShape: w.kernelShape, bias: array(w.outChannels, -0.1, 0.1))
        }
        return m
    }
}

/// Normwise relative error max|a − b| / max|b|: float32 sums of a few thousand terms differ from a
/// double-precision reference by a few ulps of the largest values, not of each value.
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0, scale: Float = 0
    for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)); scale = max(scale, abs(y)) }
    return scale == 0 ? worst : worst / scale
}
