import CDNNL
import DenseCellCore

/// Adds layers to a `Plan`: each call compiles one oneDNN primitive for the shapes at hand, lets
/// the library choose blocked layouts (format `any`), and inserts a reorder only when a consumer
/// wants a different layout than its producer wrote.
final class PlanBuilder {
    let plan: Plan
    let type: dnnl_data_type_t

    init(precision: Precision = .f32) throws(EngineError) {
        plan = try Plan()
        type = DNNL.dataType(precision)
    }

    /// A plain float32 input tensor the caller fills before `plan.run()`.
    func input(channels: Int, shape: Shape3) throws(EngineError) -> Tensor {
        let t = try Tensor(plainChannels: channels, shape: shape)
        plan.keep(t)
        return t
    }

    /// `x` in layout `md`, reordering (and converting the data type) only if needed.
    func ensure(_ x: Tensor, _ md: dnnl_memory_desc_t) throws(EngineError) -> Tensor {
        if x.sameLayout(as: md) { return x }
        let y = try Tensor(md)
        var src = x.md, dst = md
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_reorder_pd(&pd, DNNL.engine, &src, &dst), "creating a reorder")
        let p = try plan.makePrimitive(pd!)
        plan.append(p, [(Int32(DC_ARG_FROM), x), (Int32(DC_ARG_TO), y)], label: "reorder")
        return y
    }

    /// Plain float32 (1, c, z, y, x) copy of `x`, the layout callers read.
    func output(_ x: Tensor) throws(EngineError) -> Tensor {
        var md = dnnl_memory_desc_t()
        try DNNL.check(dc_md_activation(&md, Int64(x.channels), Int64(x.shape.z), Int64(x.shape.y), Int64(x.shape.x),
                                        dnnl_f32, dnnl_ncdhw), "describing the output")
        return try ensure(x, md)
    }

    /// Same-padded convolution (or transposed convolution with stride = kernel when `transposed`),
    /// bias added, ReLU fused when `relu`, and the result added to `sumInto` (fused as a sum post-op)
    /// when given.
    func convolution(_ x: Tensor, _ w: LayerWeights, relu: Bool, transposed: Bool = false,
                     sumInto: Tensor? = nil, label: String) throws(EngineError) -> Tensor {
        precondition(w.inChannels == x.channels, "\(label): \(w.inChannels) input channels expected, got \(x.channels)")
        let (kd, kh, kw) = w.kernelSize
        var pd: dnnl_primitive_desc_t?
        var fixed = sumInto?.md
        let status: dnnl_status_t
        if fixed != nil {
            status = dc_conv_pd(&pd, DNNL.engine, transposed ? 1 : 0, Int64(x.channels), Int64(w.outChannels),
                                Int64(x.shape.z), Int64(x.shape.y), Int64(x.shape.x), Int64(kd), Int64(kh), Int64(kw),
                                relu ? 1 : 0, 1, type, &fixed!)
        } else {
            status = dc_conv_pd(&pd, DNNL.engine, transposed ? 1 : 0, Int64(x.channels), Int64(w.outChannels),
                                Int64(x.shape.z), Int64(x.shape.y), Int64(x.shape.x), Int64(kd), Int64(kh), Int64(kw),
                                relu ? 1 : 0, 0, type, nil)
        }
        try DNNL.check(status, "creating \(label) (\(kd)×\(kh)×\(kw), \(x.channels)→\(w.outChannels) on \(x.shape))")
        let srcMD = queryMD(pd!, dnnl_query_src_md)
        let weightsMD = queryMD(pd!, dnnl_query_weights_md)
        let dstMD = queryMD(pd!, dnnl_query_dst_md)
        let primitive = try plan.makePrimitive(pd!)
        let src = try ensure(x, srcMD)
        let weights = try loadWeights(w, into: weightsMD)
        let bias = try loadBias(w.bias)
        let dst: Tensor
        if let sumInto { dst = sumInto } else { dst = try Tensor(dstMD) }
        plan.append(primitive, [(Int32(DC_ARG_SRC), src), (Int32(DC_ARG_WEIGHTS), weights),
                                (Int32(DC_ARG_BIAS), bias), (Int32(DC_ARG_DST), dst)], label: label)
        return dst
    }

    /// Reorders a layer's plain (out, in, kd, kh, kw) float32 kernel once into the primitive's layout.
    private func loadWeights(_ w: LayerWeights, into md: dnnl_memory_desc_t) throws(EngineError) -> Tensor {
        var plainMD = dnnl_memory_desc_t()
        let s = w.kernelShape.map { Int64($0) }
        try DNNL.check(dc_md_weights(&plainMD, s[0], s[1], s[2], s[3], s[4], dnnl_f32, dnnl_oidhw), "describing weights")
        let plain = try Tensor(plainMD)
        w.kernel.withUnsafeBytes { plain.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        if plain.sameLayout(as: md) { plan.keep(plain); return plain }
        let target = try Tensor(md)
        var a = plainMD, b = md
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_reorder_pd(&pd, DNNL.engine, &a, &b), "creating a weight reorder")
        let p = try plan.makePrimitive(pd!)
        try plan.runNow(p, [(Int32(DC_ARG_FROM), plain), (Int32(DC_ARG_TO), target)])
        plan.keep(target)
        return target
    }

    private func loadBias(_ bias: [Float]) throws(EngineError) -> Tensor {
        var md = dnnl_memory_desc_t()
        try DNNL.check(dc_md_bias(&md, Int64(bias.count)), "describing a bias")
        let t = try Tensor(md)
        bias.withUnsafeBytes { t.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        plan.keep(t)
        return t
    }

    /// Max pooling 1×2×2 with stride (1, 2, 2).
    func maxPool(_ x: Tensor, label: String) throws(EngineError) -> Tensor {
        var src = x.md
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_pool_pd(&pd, DNNL.engine, &src), "creating \(label) on \(x.shape)")
        let dst = try Tensor(queryMD(pd!, dnnl_query_dst_md))
        let p = try plan.makePrimitive(pd!)
        plan.append(p, [(Int32(DC_ARG_SRC), x), (Int32(DC_ARG_DST), dst)], label: label)
        return dst
    }

    /// Softmax over the channel axis.
    func softmax(_ x: Tensor, label: String) throws(EngineError) -> Tensor {
        var src = x.md
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_softmax_pd(&pd, DNNL.engine, &src), "creating \(label)")
        let dst = try Tensor(queryMD(pd!, dnnl_query_dst_md))
        let p = try plan.makePrimitive(pd!)
        plan.append(p, [(Int32(DC_ARG_SRC), x), (Int32(DC_ARG_DST), dst)], label: label)
        return dst
    }

    /// Channel concatenation, `a` first.
    func concat(_ a: Tensor, _ b: Tensor, label: String) throws(EngineError) -> Tensor {
        var ma = a.md, mb = b.md
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_concat_pd(&pd, DNNL.engine, &ma, &mb), "creating \(label)")
        let dst = try Tensor(queryMD(pd!, dnnl_query_dst_md))
        let p = try plan.makePrimitive(pd!)
        plan.append(p, [(Int32(DC_ARG_MULTIPLE_SRC), a), (Int32(DC_ARG_MULTIPLE_SRC) + 1, b), (Int32(DC_ARG_DST), dst)],
                    label: label)
        return dst
    }
}
