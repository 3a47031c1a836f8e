import CDNNL
import DenseCellCore
import Foundation

/// An activation and its gradient, both plain float32 (1, c, z, y, x) oneDNN memory.
final class TrainingNode {
    let value: Tensor
    let grad: Tensor
    let channels: Int
    let shape: Shape3
    var count: Int { channels * shape.count }

    init(channels: Int, shape: Shape3) throws(EngineError) {
        value = try Tensor(plainChannels: channels, shape: shape)
        grad = try Tensor(plainChannels: channels, shape: shape)
        self.channels = channels; self.shape = shape
        v.initialize(repeating: 0, count: count)
        g.initialize(repeating: 0, count: count)
    }
    var v: UnsafeMutablePointer<Float> { value.floatPointer }
    var g: UnsafeMutablePointer<Float> { grad.floatPointer }
    func zeroGrad() { g.update(repeating: 0, count: count) }
}

/// Temporary tensors shared by every op that needs one of the same role and layout: the
/// graph runs one op at a time, so only the activations and their gradients need their own
/// memory (at w = 64 on 5×300×300 windows that is the difference between ~4 and ~18 GB).
final class SharedBuffers {
    private var tensors: [String: Tensor] = [:]
    func tensor(_ role: String, _ md: dnnl_memory_desc_t) throws(EngineError) -> Tensor {
        var m = md
        let key = role + " " + String(cString: dc_md_describe(&m))
        if let t = tensors[key] { return t }
        let t = try Tensor(md)
        tensors[key] = t
        return t
    }
}

/// One differentiable operation of the training graph. `backward` adds the input gradients
/// into the inputs' `grad` (several consumers of one tensor sum their contributions).
protocol TrainingOp: AnyObject {
    func forward() throws(EngineError)
    func backward() throws(EngineError)
}

/// The element loops between the oneDNN primitives, run on the calling thread: oneDNN's
/// OpenMP workers keep spinning for a while after each primitive, and a second pool of threads
/// for these short, memory-bound loops only competes with them for the cores (measured in
/// docs/ARCHITECTURE.md, "Training").
enum ParallelLoop {
    static func chunks(_ n: Int, _ body: (Range<Int>) -> Void) { body(0..<n) }
    static func each(_ n: Int, _ body: (Int) -> Void) { for i in 0..<n { body(i) } }
    static func add(_ src: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        chunks(count) { r in for i in r { dst[i] += src[i] } }
    }
    static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        chunks(count) { r in for i in r where x[i] < 0 { x[i] = 0 } }
    }
    /// ReLU backward from its output: the gradient passes where the output is positive.
    static func reluMask(_ grad: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>, count: Int) {
        chunks(count) { r in for i in r where output[i] <= 0 { grad[i] = 0 } }
    }
}

/// Same-padded stride-1 convolution with bias on oneDNN (forward-training, backward-data and
/// backward-weights primitives), optionally followed by ReLU. The primitives run on
/// channels-last copies of the plain tensors (the library's fast kernels for all three
/// directions) with weights in the layouts they choose; reorders move data in and out.
final class ConvolutionOp: TrainingOp {
    let input: TrainingNode, output: TrainingNode
    let relu: Bool
    let inputGradient: Bool
    let kernelShape: [Int]
    /// Plain (out, in, kd, kh, kw) kernel and bias, and their gradients after `backward`.
    let weights: Tensor, bias: Tensor, diffWeights: Tensor, diffBias: Tensor
    private let scratch: Tensor?
    private let fwd: dnnl_primitive_t, bwdWeights: dnnl_primitive_t, bwdData: dnnl_primitive_t?
    private let plan: Plan
    // Channels-last activations and the primitives' weight layouts.
    private let src: Tensor, dst: Tensor, diffDst: Tensor, diffSrc: Tensor?
    private let weightsFwd: Tensor, weightsBwd: Tensor?, diffWeightsLib: Tensor
    private var reorders: [String: (dnnl_primitive_t, Tensor, Tensor)] = [:]

    init(plan: Plan, buffers: SharedBuffers, input: TrainingNode, outChannels: Int, kernel: [Int], relu: Bool,
         inputGradient: Bool, label: String) throws(EngineError) {
        self.plan = plan; self.input = input; self.relu = relu; self.inputGradient = inputGradient
        let ic = input.channels, s = input.shape
        kernelShape = [outChannels, ic] + kernel
        output = try TrainingNode(channels: outChannels, shape: s)
        func pd(_ direction: Int32) throws(EngineError) -> dnnl_primitive_desc_t {
            var p: dnnl_primitive_desc_t?
            try DNNL.check(dc_conv_train_pd(&p, DNNL.engine, direction, Int64(ic), Int64(outChannels), Int64(s.z), Int64(s.y),
                                            Int64(s.x), Int64(kernel[0]), Int64(kernel[1]), Int64(kernel[2]), dnnl_ndhwc),
                           "creating \(label) training primitive \(direction) (\(kernel), \(ic)→\(outChannels) on \(s))")
            return p!
        }
        let fwdPD = try pd(0)
        src = try buffers.tensor("src", queryMD(fwdPD, dnnl_query_src_md))
        dst = try buffers.tensor("dst", queryMD(fwdPD, dnnl_query_dst_md))
        weightsFwd = try Tensor(queryMD(fwdPD, dnnl_query_weights_md))
        fwd = try plan.makePrimitive(fwdPD)
        let bwPD = try pd(2)
        diffDst = try buffers.tensor("diffDst", queryMD(bwPD, dnnl_query_diff_dst_md))
        diffWeightsLib = try Tensor(queryMD(bwPD, dnnl_query_diff_weights_md))
        bwdWeights = try plan.makePrimitive(bwPD)
        if inputGradient {
            let bdPD = try pd(1)
            diffSrc = try buffers.tensor("diffSrc", queryMD(bdPD, dnnl_query_diff_src_md))
            weightsBwd = try Tensor(queryMD(bdPD, dnnl_query_weights_md))
            bwdData = try plan.makePrimitive(bdPD)
            var plain = dnnl_memory_desc_t()
            try DNNL.check(dc_md_activation(&plain, Int64(ic), Int64(s.z), Int64(s.y), Int64(s.x), dnnl_f32, dnnl_ncdhw),
                           "describing \(label) input gradient")
            scratch = try buffers.tensor("scratch", plain)
        } else {
            diffSrc = nil; weightsBwd = nil; bwdData = nil; scratch = nil
        }
        var wmd = dnnl_memory_desc_t(), bmd = dnnl_memory_desc_t()
        try DNNL.check(dc_md_weights(&wmd, Int64(outChannels), Int64(ic), Int64(kernel[0]), Int64(kernel[1]), Int64(kernel[2]),
                                     dnnl_f32, dnnl_oidhw), "describing \(label) weights")
        try DNNL.check(dc_md_bias(&bmd, Int64(outChannels)), "describing \(label) bias")
        weights = try Tensor(wmd); diffWeights = try Tensor(wmd)
        bias = try Tensor(bmd); diffBias = try Tensor(bmd)
        try addReorder("src", input.value, src)
        try addReorder("dst", dst, output.value)
        try addReorder("diffDst", output.grad, diffDst)
        try addReorder("weightsFwd", weights, weightsFwd)
        try addReorder("diffWeights", diffWeightsLib, diffWeights)
        if let diffSrc, let scratch, let weightsBwd {
            try addReorder("diffSrc", diffSrc, scratch)
            try addReorder("weightsBwd", weights, weightsBwd)
        }
    }

    private func addReorder(_ name: String, _ from: Tensor, _ to: Tensor) throws(EngineError) {
        var a = from.md, b = to.md
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_reorder_pd(&pd, DNNL.engine, &a, &b), "creating a reorder")
        reorders[name] = (try plan.makePrimitive(pd!), from, to)
    }

    private func reorder(_ name: String) throws(EngineError) {
        let (p, from, to) = reorders[name]!
        try plan.runNow(p, [(Int32(DC_ARG_FROM), from), (Int32(DC_ARG_TO), to)])
    }

    var kernelCount: Int { kernelShape.reduce(1, *) }
    var outChannels: Int { kernelShape[0] }

    func setWeights(kernel: UnsafeBufferPointer<Float>, bias b: UnsafeBufferPointer<Float>) {
        precondition(kernel.count == kernelCount && b.count == outChannels)
        weights.floatPointer.update(from: kernel.baseAddress!, count: kernel.count)
        bias.floatPointer.update(from: b.baseAddress!, count: b.count)
    }

    /// Reorders the plain weights into the primitives' layouts (small next to the convolutions,
    /// and it keeps every change to `weights` effective).
    private func refreshWeights() throws(EngineError) {
        try reorder("weightsFwd")
        if inputGradient { try reorder("weightsBwd") }
    }

    func forward() throws(EngineError) {
        try refreshWeights()
        try reorder("src")
        try plan.runNow(fwd, [(Int32(DC_ARG_SRC), src), (Int32(DC_ARG_WEIGHTS), weightsFwd),
                              (Int32(DC_ARG_BIAS), bias), (Int32(DC_ARG_DST), dst)])
        try reorder("dst")
        if relu { ParallelLoop.relu(output.v, count: output.count) }
    }

    func backward() throws(EngineError) {
        if relu { ParallelLoop.reluMask(output.g, output: output.v, count: output.count) }
        try reorder("src")        // shared with other ops since the forward pass
        try reorder("diffDst")
        try plan.runNow(bwdWeights, [(Int32(DC_ARG_SRC), src), (Int32(DC_ARG_DIFF_DST), diffDst),
                                     (Int32(DC_ARG_DIFF_WEIGHTS), diffWeightsLib), (Int32(DC_ARG_DIFF_BIAS), diffBias)])
        try reorder("diffWeights")
        // The bias gradient is the sum of the output gradient over voxels, summed here in
        // double precision (cheap next to the convolutions).
        let n = output.shape.count, g = output.g, db = diffBias.floatPointer
        ParallelLoop.each(outChannels) { o in
            var s: Double = 0
            for v in (o * n)..<((o + 1) * n) { s += Double(g[v]) }
            db[o] = Float(s)
        }
        if let bwdData, let diffSrc, let scratch, let weightsBwd {
            try plan.runNow(bwdData, [(Int32(DC_ARG_DIFF_DST), diffDst), (Int32(DC_ARG_WEIGHTS), weightsBwd),
                                      (Int32(DC_ARG_DIFF_SRC), diffSrc)])
            try reorder("diffSrc")
            ParallelLoop.add(scratch.floatPointer, into: input.g, count: input.count)
        }
    }
}

/// Transposed convolution 1×2×2 with stride (1, 2, 2) and ReLU, computed as in inference: a
/// 1×1×1 convolution to 4·out channels ordered (b, c, o), then a scatter of channel
/// (2b + c)·out + o of voxel (z, y, x) to channel o of voxel (z, 2y + b, 2x + c). The backward
/// pass gathers the gradient the same way and runs the 1×1×1 convolution's backward passes.
final class TransposedConvolutionOp: TrainingOp {
    let input: TrainingNode, output: TrainingNode
    let pointwise: ConvolutionOp
    let outChannels: Int, inChannels: Int

    init(plan: Plan, buffers: SharedBuffers, input: TrainingNode, outChannels oc: Int, label: String) throws(EngineError) {
        self.input = input; outChannels = oc; inChannels = input.channels
        pointwise = try ConvolutionOp(plan: plan, buffers: buffers, input: input, outChannels: 4 * oc, kernel: [1, 1, 1], relu: false,
                                      inputGradient: true, label: label)
        let s = input.shape
        output = try TrainingNode(channels: oc, shape: Shape3(s.z, 2 * s.y, 2 * s.x))
    }

    /// Model-file kernel (o, i, 0, b, c) and bias (o) into the pointwise convolution.
    func setWeights(kernel: [Float], bias: [Float]) {
        let oc = outChannels, ic = inChannels
        var k = [Float](repeating: 0, count: 4 * oc * ic), b = [Float](repeating: 0, count: 4 * oc)
        for q in 0..<4 { for o in 0..<oc {
            b[q * oc + o] = bias[o]
            for i in 0..<ic { k[(q * oc + o) * ic + i] = kernel[(o * ic + i) * 4 + q] }
        } }
        k.withUnsafeBufferPointer { kp in b.withUnsafeBufferPointer { bp in pointwise.setWeights(kernel: kp, bias: bp) } }
    }

    /// Gradients in the model-file layout.
    func gradients(kernel: inout [Float], bias: inout [Float]) {
        let oc = outChannels, ic = inChannels
        let dk = pointwise.diffWeights.floatPointer, db = pointwise.diffBias.floatPointer
        for o in 0..<oc {
            var sb: Float = 0
            for q in 0..<4 {
                sb += db[q * oc + o]
                for i in 0..<ic { kernel[(o * ic + i) * 4 + q] = dk[(q * oc + o) * ic + i] }
            }
            bias[o] = sb
        }
    }

    /// Visits every (mid index, output index) pair of the scatter, one z-slice per task.
    private func forEachPair(_ body: (Int, Int) -> Void) {
        let s = input.shape, oc = outChannels
        let plane = s.y * s.x, outPlane = 4 * plane
        ParallelLoop.each(oc * s.z) { task in
            let o = task / s.z, z = task % s.z
            for q in 0..<4 {
                let b = q / 2, c = q % 2
                let midBase = ((q * oc + o) * s.z + z) * plane
                let outBase = (o * s.z + z) * outPlane
                for y in 0..<s.y {
                    for x in 0..<s.x { body(midBase + y * s.x + x, outBase + (2 * y + b) * 2 * s.x + 2 * x + c) }
                }
            }
        }
    }

    func forward() throws(EngineError) {
        try pointwise.forward()
        let mid = pointwise.output.v, out = output.v
        forEachPair { m, o in out[o] = max(0, mid[m]) }
    }

    func backward() throws(EngineError) {
        let mid = pointwise.output.g, out = output.g, value = output.v
        forEachPair { m, o in mid[m] = value[o] > 0 ? out[o] : 0 }
        try pointwise.backward()
    }
}

/// Max pooling 1×2×2 with stride (1, 2, 2); the forward pass keeps which of the four won.
final class MaxPoolOp: TrainingOp {
    let input: TrainingNode, output: TrainingNode
    private var winner: [UInt8]

    init(input: TrainingNode) throws(EngineError) {
        self.input = input
        let s = input.shape
        output = try TrainingNode(channels: input.channels, shape: Shape3(s.z, s.y / 2, s.x / 2))
        winner = [UInt8](repeating: 0, count: output.count)
    }

    func forward() throws(EngineError) {
        let s = input.shape, h = s.y / 2, w = s.x / 2
        let src = input.v, dst = output.v
        winner.withUnsafeMutableBufferPointer { win in
            let win = win.baseAddress!
            ParallelLoop.each(input.channels * s.z) { cz in
                let inBase = cz * s.y * s.x, outBase = cz * h * w
                for y in 0..<h { for x in 0..<w {
                    let i0 = inBase + 2 * y * s.x + 2 * x
                    var best = src[i0], k: UInt8 = 0
                    if src[i0 + 1] > best { best = src[i0 + 1]; k = 1 }
                    if src[i0 + s.x] > best { best = src[i0 + s.x]; k = 2 }
                    if src[i0 + s.x + 1] > best { best = src[i0 + s.x + 1]; k = 3 }
                    dst[outBase + y * w + x] = best; win[outBase + y * w + x] = k
                } }
            }
        }
    }

    func backward() throws(EngineError) {
        let s = input.shape, h = s.y / 2, w = s.x / 2
        let gin = input.g, gout = output.g
        winner.withUnsafeBufferPointer { win in
            let win = win.baseAddress!
            ParallelLoop.each(input.channels * s.z) { cz in
                let inBase = cz * s.y * s.x, outBase = cz * h * w
                for y in 0..<h { for x in 0..<w {
                    let k = Int(win[outBase + y * w + x])
                    gin[inBase + (2 * y + k / 2) * s.x + 2 * x + k % 2] += gout[outBase + y * w + x]
                } }
            }
        }
    }
}

/// Channel concatenation, `a` first: in the plain layout with batch 1 the two buffers follow
/// each other, so the backward pass splits the gradient at `a.count`.
final class ConcatOp: TrainingOp {
    let a: TrainingNode, b: TrainingNode, output: TrainingNode
    init(_ a: TrainingNode, _ b: TrainingNode) throws(EngineError) {
        precondition(a.shape == b.shape)
        self.a = a; self.b = b
        output = try TrainingNode(channels: a.channels + b.channels, shape: a.shape)
    }
    func forward() throws(EngineError) {
        output.v.update(from: a.v, count: a.count)
        (output.v + a.count).update(from: b.v, count: b.count)
    }
    func backward() throws(EngineError) {
        ParallelLoop.add(output.g, into: a.g, count: a.count)
        ParallelLoop.add(output.g + a.count, into: b.g, count: b.count)
    }
}

/// Softmax over channels; backward dx = y ⊙ (dy − Σ_c y·dy).
final class SoftmaxOp: TrainingOp {
    let input: TrainingNode, output: TrainingNode
    init(input: TrainingNode) throws(EngineError) {
        self.input = input
        output = try TrainingNode(channels: input.channels, shape: input.shape)
    }
    func forward() throws(EngineError) {
        let n = input.shape.count, c = input.channels, x = input.v, y = output.v
        ParallelLoop.chunks(n) { r in
            for v in r {
                var top = -Float.infinity
                for k in 0..<c { top = max(top, x[k * n + v]) }
                var sum: Float = 0
                for k in 0..<c { let e = exp(x[k * n + v] - top); y[k * n + v] = e; sum += e }
                let inv = 1 / sum
                for k in 0..<c { y[k * n + v] *= inv }
            }
        }
    }
    func backward() throws(EngineError) {
        let n = input.shape.count, c = input.channels, y = output.v, dy = output.g, dx = input.g
        ParallelLoop.chunks(n) { r in
            for v in r {
                var dot: Float = 0
                for k in 0..<c { dot += y[k * n + v] * dy[k * n + v] }
                for k in 0..<c { dx[k * n + v] += y[k * n + v] * (dy[k * n + v] - dot) }
            }
        }
    }
}

/// Element-wise sum of two tensors of one shape (the pyramid's p0 + p1up).
final class SumOp: TrainingOp {
    let a: TrainingNode, b: TrainingNode, output: TrainingNode
    init(_ a: TrainingNode, _ b: TrainingNode) throws(EngineError) {
        precondition(a.shape == b.shape && a.channels == b.channels)
        self.a = a; self.b = b
        output = try TrainingNode(channels: a.channels, shape: a.shape)
    }
    func forward() throws(EngineError) {
        let x = a.v, y = b.v, out = output.v
        ParallelLoop.chunks(output.count) { r in for i in r { out[i] = x[i] + y[i] } }
    }
    func backward() throws(EngineError) {
        ParallelLoop.add(output.g, into: a.g, count: a.count)
        ParallelLoop.add(output.g, into: b.g, count: b.count)
    }
}
