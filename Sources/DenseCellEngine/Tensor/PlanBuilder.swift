import CDNNL
import DenseCellCore

/// Adds layers to a `Plan`: each call compiles one oneDNN primitive for the shapes at hand, lets
/// the library choose blocked layouts (format `any`), and inserts a reorder only when a consumer
/// wants a different layout than its producer wrote.
final class PlanBuilder {
    let plan: Plan
    let type: dnnl_data_type_t

    init(precision: Precision = .f32, pool: ActivationPool = ActivationPool()) throws(EngineError) {
        plan = try Plan(pool: pool)
        type = DNNL.dataType(precision)
    }

    /// A plain float32 input tensor the caller fills before `plan.run()`.
    func input(channels: Int, shape: Shape3) throws(EngineError) -> Tensor {
        let t = try Tensor(plainChannels: channels, shape: shape)
        plan.keep(t)
        return t
    }

    /// `x` in layout `md`, reordering (and converting the data type) only if needed; `pooled`
    /// false gives a result with its own memory that stays valid after the run (outputs).
    func ensure(_ x: Tensor, _ md: dnnl_memory_desc_t, pooled: Bool = true) throws(EngineError) -> Tensor {
        if x.sameLayout(as: md) && (pooled || !x.isPooled) { return x }
        let y = try Tensor(md, pooled: pooled)
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
        return try ensure(x, md, pooled: false)
    }

    /// Same-padded convolution (or transposed convolution with stride = kernel when `transposed`),
    /// bias added, ReLU fused when `relu`, and the result added to `sumInto` (fused as a sum post-op)
    /// when given.
    func convolution(_ x: Tensor, _ w: LayerWeights, relu: Bool, transposed: Bool = false,
                     sumInto: Tensor? = nil, label: String) throws(EngineError) -> Tensor {
        precondition(w.inChannels == x.channels, "\(label): \(w.inChannels) input channels expected, got \(x.channels)")
        if transposed { return try subPixelConvolution(x, w, relu: relu, sumInto: sumInto, label: label) }
        let (kd, kh, kw) = w.kernelSize
        var pd: dnnl_primitive_desc_t?
        var fixed = sumInto?.md
        let status: dnnl_status_t
        if fixed != nil {
            status = dc_conv_pd(&pd, DNNL.engine, Int64(x.channels), Int64(w.outChannels),
                                Int64(x.shape.z), Int64(x.shape.y), Int64(x.shape.x), Int64(kd), Int64(kh), Int64(kw),
                                relu ? 1 : 0, 1, type, &fixed!)
        } else {
            status = dc_conv_pd(&pd, DNNL.engine, Int64(x.channels), Int64(w.outChannels),
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
        if let sumInto { dst = sumInto } else { dst = try Tensor(dstMD, pooled: true) }
        plan.append(primitive, [(Int32(DC_ARG_SRC), src), (Int32(DC_ARG_WEIGHTS), weights),
                                (Int32(DC_ARG_BIAS), bias), (Int32(DC_ARG_DST), dst)], label: label)
        return dst
    }

    /// Transposed convolution 1×2×2 with stride (1, 2, 2), computed as a 1×1×1 convolution to 4·out
    /// channels (the library's fast kernels; its own transposed convolution falls back to a slow
    /// reference kernel here) and one reorder that scatters each group of `out` channels to its
    /// (y, x) offset in the up-sampled grid. ReLU is fused into the convolution (it commutes with
    /// the scatter); the sum into `sumInto` is fused into the reorder as a sum post-op.
    private func subPixelConvolution(_ x: Tensor, _ w: LayerWeights, relu: Bool, sumInto: Tensor?,
                                     label: String) throws(EngineError) -> Tensor {
        precondition(w.kernelShape[2...] == [1, 2, 2], "\(label): only 1×2×2 transposed convolutions are supported")
        let oc = w.outChannels, ic = w.inChannels
        // Kernel (o, i, 0, b, c) → 1×1×1 kernel with output channel (2b + c)·oc + o.
        var kernel = [Float](repeating: 0, count: 4 * oc * ic)
        var bias = [Float](repeating: 0, count: 4 * oc)
        for b in 0..<2 { for c in 0..<2 {
            let k = 2 * b + c
            for o in 0..<oc {
                bias[k * oc + o] = w.bias[o]
                for i in 0..<ic { kernel[(k * oc + o) * ic + i] = w.kernel[((o * ic + i) * 2 + b) * 2 + c] }
            }
        } }
        let pointwise = LayerWeights(kernel: kernel, kernelShape: [4 * oc, ic, 1, 1, 1], bias: bias)
        var grouped = try convolution(x, pointwise, relu: relu, label: label)

        let dst: Tensor
        if let sumInto { dst = sumInto } else {
            var md = dnnl_memory_desc_t()
            // The layout the library chose for the convolutions (channels-last or 16-channel
            // blocks), so the concatenation that follows and the next layer need no reorder.
            let tag = try grouped.hasLayout(dnnl_ndhwc) ? dnnl_ndhwc
                : oc % 16 == 0 ? dnnl_nCdhw16c : oc % 8 == 0 ? dnnl_nCdhw8c : dnnl_ncdhw
            try DNNL.check(dc_md_activation(&md, Int64(oc), Int64(x.shape.z), Int64(2 * x.shape.y), Int64(2 * x.shape.x),
                                            type, tag), "describing \(label) output")
            dst = try Tensor(md, pooled: true)
        }
        var srcView = dnnl_memory_desc_t(), dstView = dnnl_memory_desc_t()
        var s = grouped.md, d = dst.md
        if dc_shuffle_views(&s, &d, Int64(oc), &srcView, &dstView) != dnnl_success {
            var plain = dnnl_memory_desc_t()
            try DNNL.check(dc_md_activation(&plain, Int64(4 * oc), Int64(x.shape.z), Int64(x.shape.y), Int64(x.shape.x),
                                            dst.md.data_type, dnnl_ncdhw), "describing \(label) scatter")
            grouped = try ensure(grouped, plain)
            s = grouped.md
            try DNNL.check(dc_shuffle_views(&s, &d, Int64(oc), &srcView, &dstView), "laying out \(label) scatter")
        }
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_reorder_sum_pd(&pd, DNNL.engine, &srcView, &dstView, sumInto == nil ? 0 : 1), "creating \(label) scatter")
        let p = try plan.makePrimitive(pd!)
        plan.append(p, [(Int32(DC_ARG_FROM), try Tensor(view: srcView, of: grouped)),
                        (Int32(DC_ARG_TO), try Tensor(view: dstView, of: dst))], label: label + ".scatter")
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
        try unary(x, label: label, what: "creating \(label) on \(x.shape)") { pd, src in dc_pool_pd(&pd, DNNL.engine, &src) }
    }

    /// Softmax over the channel axis.
    func softmax(_ x: Tensor, label: String) throws(EngineError) -> Tensor {
        try unary(x, label: label, what: "creating \(label)") { pd, src in dc_softmax_pd(&pd, DNNL.engine, &src) }
    }

    /// A one-input, one-output primitive whose output layout the library chooses.
    private func unary(_ x: Tensor, label: String, what: String,
                       describe: (inout dnnl_primitive_desc_t?, inout dnnl_memory_desc_t) -> dnnl_status_t) throws(EngineError) -> Tensor {
        var src = x.md
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(describe(&pd, &src), what)
        let dst = try Tensor(queryMD(pd!, dnnl_query_dst_md), pooled: true)
        let p = try plan.makePrimitive(pd!)
        plan.append(p, [(Int32(DC_ARG_SRC), x), (Int32(DC_ARG_DST), dst)], label: label)
        return dst
    }

    /// Channel concatenation, `a` first. When both inputs share a layout (channels-last, or a
    /// channel blocking that divides `a`'s channels), the result keeps it, so the next
    /// convolution reads it without a reorder.
    func concat(_ a: Tensor, _ b: Tensor, label: String) throws(EngineError) -> Tensor {
        var ma = a.md, mb = b.md
        var tag = dnnl_format_tag_any
        for (candidate, block) in [(dnnl_ndhwc, 1), (dnnl_nCdhw16c, 16), (dnnl_nCdhw8c, 8)] where a.channels % block == 0 {
            let aBlocked = try a.hasLayout(candidate), bBlocked = try b.hasLayout(candidate)
            if aBlocked && bBlocked { tag = candidate; break }
        }
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dc_concat_pd(&pd, DNNL.engine, &ma, &mb, tag), "creating \(label)")
        let dst = try Tensor(queryMD(pd!, dnnl_query_dst_md), pooled: true)
        let p = try plan.makePrimitive(pd!)
        plan.append(p, [(Int32(DC_ARG_MULTIPLE_SRC), a), (Int32(DC_ARG_MULTIPLE_SRC) + 1, b), (Int32(DC_ARG_DST), dst)],
                    label: label)
        return dst
    }
}
