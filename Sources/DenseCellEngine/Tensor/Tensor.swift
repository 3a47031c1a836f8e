import CDNNL
import DenseCellCore

/// A 5-D activation (1, channels, z, y, x) in oneDNN memory, in whatever layout its producer chose.
final class Tensor {
    /// Where the bytes live: owned by the library (weights, inputs, outputs), placed later in a
    /// plan's activation pool (intermediate activations), or another tensor's bytes seen
    /// through a different descriptor.
    enum Storage { case owned, pooled, view(Tensor) }

    var md: dnnl_memory_desc_t
    let memory: dnnl_memory_t
    let channels: Int
    let shape: Shape3
    let storage: Storage
    /// Byte offset in the activation pool, for pooled tensors (set when the plan is laid out).
    var poolOffset = 0

    /// Memory for `md`: allocated now when `pooled` is false, else placed by the plan.
    init(_ md: dnnl_memory_desc_t, pooled: Bool = false) throws(EngineError) {
        var m = md
        var mem: dnnl_memory_t?
        if pooled {
            try DNNL.check(dc_memory_wrap(&mem, &m, DNNL.engine, nil), "describing a \(Int(md.dims.1))-channel tensor")
        } else {
            try DNNL.check(dc_memory_alloc(&mem, &m, DNNL.engine), "allocating a \(Int(md.dims.1))-channel tensor")
        }
        self.md = m
        memory = mem!
        channels = Int(md.dims.1)
        shape = Shape3(Int(md.dims.2), Int(md.dims.3), Int(md.dims.4))
        storage = pooled ? .pooled : .owned
    }

    /// A second view of memory owned by another tensor (kept alive by the plan that uses both).
    init(view md: dnnl_memory_desc_t, of owner: Tensor) throws(EngineError) {
        var m = md
        var mem: dnnl_memory_t?
        var handle: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(owner.memory, &handle)
        try DNNL.check(dc_memory_wrap(&mem, &m, DNNL.engine, handle), "creating a tensor view")
        self.md = m
        memory = mem!
        channels = owner.channels
        shape = owner.shape
        storage = .view(owner)
    }

    /// The tensor whose bytes this one uses (itself unless a view).
    var root: Tensor { if case .view(let owner) = storage { return owner.root }; return self }
    var isPooled: Bool { if case .pooled = storage { return true }; return false }

    /// A plain (1, c, z, y, x) float32 tensor, the layout of network inputs and outputs.
    convenience init(plainChannels c: Int, shape s: Shape3, type: dnnl_data_type_t = dnnl_f32) throws(EngineError) {
        var md = dnnl_memory_desc_t()
        try DNNL.check(dc_md_activation(&md, Int64(c), Int64(s.z), Int64(s.y), Int64(s.x), type, dnnl_ncdhw), "describing a tensor")
        try self.init(md)
    }

    deinit { dnnl_memory_destroy(memory) }

    var byteCount: Int { withUnsafePointer(to: &md) { dnnl_memory_desc_get_size($0) } }

    var pointer: UnsafeMutableRawPointer {
        var p: UnsafeMutableRawPointer?
        dnnl_memory_get_data_handle(memory, &p)
        return p!
    }

    /// The contents as float32 when the layout is plain float32 (network outputs).
    var floatPointer: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }

    /// True when the tensor is stored in the layout of `tag`.
    func hasLayout(_ tag: dnnl_format_tag_t) throws(EngineError) -> Bool {
        var md = dnnl_memory_desc_t()
        try DNNL.check(dc_md_activation(&md, Int64(channels), Int64(shape.z), Int64(shape.y), Int64(shape.x),
                                        self.md.data_type, tag), "describing a layout")
        return sameLayout(as: md)
    }

    func sameLayout(as other: dnnl_memory_desc_t) -> Bool {
        var a = md, b = other
        return dnnl_memory_desc_equal(&a, &b) != 0
    }
}

/// Queries one of a primitive descriptor's memory descriptors.
func queryMD(_ pd: dnnl_primitive_desc_t, _ what: dnnl_query_t, _ index: Int32 = 0) -> dnnl_memory_desc_t {
    dnnl_primitive_desc_query_md(pd, what, index)!.pointee
}
