#include "cdnnl.h"
#include <stdio.h>
#include <string.h>

const char *dc_dnnl_version_string(void) {
    static char buf[64];
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
    return buf;
}

const char *dc_effective_isa_name(void) {
    switch (dnnl_get_effective_cpu_isa()) {
    case dnnl_cpu_isa_all: return "all";
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic: return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "unknown";
    }
}

int dc_effective_isa_has_native_bf16(void) {
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    return (isa & (unsigned)dnnl_cpu_isa_avx512_core_bf16) == (unsigned)dnnl_cpu_isa_avx512_core_bf16;
}

int dc_effective_isa_has_amx(void) {
    unsigned isa = (unsigned)dnnl_get_effective_cpu_isa();
    return (isa & (unsigned)dnnl_cpu_isa_avx512_core_amx) == (unsigned)dnnl_cpu_isa_avx512_core_amx;
}

dnnl_status_t dc_engine_create(dnnl_engine_t *engine) {
    return dnnl_engine_create(engine, dnnl_cpu, 0);
}

dnnl_status_t dc_md_activation(dnnl_memory_desc_t *md, int64_t c, int64_t d, int64_t h, int64_t w,
                               dnnl_data_type_t dt, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {1, c, d, h, w};
    return dnnl_memory_desc_init_by_tag(md, 5, dims, dt, tag);
}

dnnl_status_t dc_md_weights(dnnl_memory_desc_t *md, int64_t oc, int64_t ic, int64_t kd, int64_t kh, int64_t kw,
                            dnnl_data_type_t dt, dnnl_format_tag_t tag) {
    dnnl_dims_t dims = {oc, ic, kd, kh, kw};
    return dnnl_memory_desc_init_by_tag(md, 5, dims, dt, tag);
}

dnnl_status_t dc_md_bias(dnnl_memory_desc_t *md, int64_t oc) {
    dnnl_dims_t dims = {oc};
    return dnnl_memory_desc_init_by_tag(md, 1, dims, dnnl_f32, dnnl_x);
}

static dnnl_status_t make_attr(dnnl_primitive_attr_t *attr, int relu, int sum) {
    dnnl_status_t s = dnnl_primitive_attr_create(attr);
    if (s != dnnl_success) return s;
    if (!relu && !sum) return dnnl_success;
    dnnl_post_ops_t ops;
    s = dnnl_post_ops_create(&ops);
    if (s != dnnl_success) return s;
    if (relu) dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (sum) dnnl_post_ops_append_sum(ops, 1.0f);
    s = dnnl_primitive_attr_set_post_ops(*attr, ops);
    dnnl_post_ops_destroy(ops);
    return s;
}

dnnl_status_t dc_conv_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                         int64_t ic, int64_t oc, int64_t d, int64_t h, int64_t w,
                         int64_t kd, int64_t kh, int64_t kw, int relu, int sum,
                         dnnl_data_type_t dt, const dnnl_memory_desc_t *dst_fixed) {
    dnnl_memory_desc_t src, wei, bias, dst;
    dnnl_status_t s;
    if ((s = dc_md_activation(&src, ic, d, h, w, dt, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dc_md_weights(&wei, oc, ic, kd, kh, kw, dt, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dc_md_bias(&bias, oc)) != dnnl_success) return s;
    if (dst_fixed) dst = *dst_fixed;
    else if ((s = dc_md_activation(&dst, oc, d, h, w, dt, dnnl_format_tag_any)) != dnnl_success) return s;
    dnnl_primitive_attr_t attr;
    if ((s = make_attr(&attr, relu, sum)) != dnnl_success) return s;
    dnnl_dims_t strides = {1, 1, 1}, pad = {(kd - 1) / 2, (kh - 1) / 2, (kw - 1) / 2};
    dnnl_convolution_desc_t desc;
    s = dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                           &src, &wei, &bias, &dst, strides, pad, pad);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
    dnnl_primitive_attr_destroy(attr);
    return s;
}

dnnl_status_t dc_pool_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, const dnnl_memory_desc_t *src) {
    dnnl_memory_desc_t dst;
    dnnl_status_t s = dc_md_activation(&dst, src->dims[1], src->dims[2], src->dims[3] / 2, src->dims[4] / 2,
                                       src->data_type, dnnl_format_tag_any);
    if (s != dnnl_success) return s;
    dnnl_dims_t strides = {1, 2, 2}, kernel = {1, 2, 2}, pad = {0, 0, 0};
    dnnl_pooling_desc_t desc;
    s = dnnl_pooling_forward_desc_init(&desc, dnnl_forward_inference, dnnl_pooling_max, src, &dst,
                                       strides, kernel, pad, pad);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, NULL, engine, NULL);
}

dnnl_status_t dc_softmax_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, const dnnl_memory_desc_t *src) {
    dnnl_softmax_desc_t desc;
    dnnl_status_t s = dnnl_softmax_forward_desc_init(&desc, dnnl_forward_inference, src, 1);
    if (s != dnnl_success) return s;
    return dnnl_primitive_desc_create(pd, &desc, NULL, engine, NULL);
}

dnnl_status_t dc_concat_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                           const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b, dnnl_format_tag_t dst_tag) {
    dnnl_memory_desc_t srcs[2] = {*a, *b};
    if (dst_tag == dnnl_format_tag_any) return dnnl_concat_primitive_desc_create(pd, NULL, 2, 1, srcs, NULL, engine);
    dnnl_memory_desc_t dst;
    dnnl_status_t s = dc_md_activation(&dst, a->dims[1] + b->dims[1], a->dims[2], a->dims[3], a->dims[4],
                                       a->data_type, dst_tag);
    if (s != dnnl_success) return s;
    return dnnl_concat_primitive_desc_create(pd, &dst, 2, 1, srcs, NULL, engine);
}

dnnl_status_t dc_reorder_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                            const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst) {
    return dnnl_reorder_primitive_desc_create(pd, src, engine, dst, engine, NULL);
}

dnnl_status_t dc_memory_alloc(dnnl_memory_t *mem, const dnnl_memory_desc_t *md, dnnl_engine_t engine) {
    return dnnl_memory_create(mem, md, engine, DNNL_MEMORY_ALLOCATE);
}

dnnl_status_t dc_memory_wrap(dnnl_memory_t *mem, const dnnl_memory_desc_t *md, dnnl_engine_t engine, void *ptr) {
    return dnnl_memory_create(mem, md, engine, ptr);
}

const char *dc_md_describe(const dnnl_memory_desc_t *md) {
    static __thread char buf[256];
    if (md->format_kind != dnnl_blocked) { snprintf(buf, sizeof buf, "format_kind %d", (int)md->format_kind); return buf; }
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    int n = snprintf(buf, sizeof buf, "dt%d dims", (int)md->data_type);
    for (int i = 0; i < md->ndims && n < 200; i++) n += snprintf(buf + n, sizeof buf - n, " %lld", (long long)md->dims[i]);
    n += snprintf(buf + n, sizeof buf - n, " blocks");
    for (int i = 0; i < b->inner_nblks && n < 240; i++)
        n += snprintf(buf + n, sizeof buf - n, " %lld@%lld", (long long)b->inner_blks[i], (long long)b->inner_idxs[i]);
    return buf;
}

const char *dc_pd_impl(const_dnnl_primitive_desc_t pd) {
    const char *name = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) != dnnl_success || !name) return "?";
    return name;
}

/* Channel block size of a 5-D blocked layout (1 = plain), or 0 when not a simple channel blocking. */
static int64_t channel_block(const dnnl_memory_desc_t *md) {
    if (md->format_kind != dnnl_blocked || md->ndims != 5) return 0;
    if (md->padded_dims[1] != md->dims[1]) return 0;
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    if (b->inner_nblks == 0) return 1;
    if (b->inner_nblks == 1 && b->inner_idxs[0] == 1) return b->inner_blks[0];
    return 0;
}

dnnl_status_t dc_shuffle_views(const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst, int64_t oc,
                               dnnl_memory_desc_t *src_view, dnnl_memory_desc_t *dst_view) {
    int64_t bs = channel_block(src), bd = channel_block(dst);
    if (bs == 0 || bd == 0) return dnnl_unimplemented;
    if (bs > 1 && bd > 1 && bs != bd) return dnnl_unimplemented;
    int64_t B = bs > bd ? bs : bd;
    if (oc % B != 0) return dnnl_unimplemented;
    if (src->data_type != dst->data_type) return dnnl_unimplemented;
    const dnnl_dim_t *ss = src->format_desc.blocking.strides, *ds = dst->format_desc.blocking.strides;
    int64_t d = src->dims[2], h = src->dims[3], w = src->dims[4];
    /* Logical dims (O, z, y, b, x, c, o_inner) with o = O*B + o_inner. */
    dnnl_dims_t dims = {oc / B, d, h, 2, w, 2, B};
    /* Source: channel ch = (2b + c)*oc + o. */
    int64_t s_oi = bs == 1 ? ss[1] : 1;
    int64_t s_O = bs == 1 ? B * ss[1] : ss[1];
    int64_t s_k = bs == 1 ? oc * ss[1] : (oc / B) * ss[1];
    dnnl_dims_t sstr = {s_O, ss[2], ss[3], 2 * s_k, ss[4], s_k, s_oi};
    /* Destination: voxel (z, 2y + b, 2x + c), channel o. */
    int64_t d_oi = bd == 1 ? ds[1] : 1;
    int64_t d_O = bd == 1 ? B * ds[1] : ds[1];
    dnnl_dims_t dstr = {d_O, ds[2], 2 * ds[3], ds[3], 2 * ds[4], ds[4], d_oi};
    dnnl_status_t s = dnnl_memory_desc_init_by_strides(src_view, 7, dims, src->data_type, sstr);
    if (s != dnnl_success) return s;
    return dnnl_memory_desc_init_by_strides(dst_view, 7, dims, dst->data_type, dstr);
}

dnnl_status_t dc_reorder_sum_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst, int sum) {
    dnnl_primitive_attr_t attr;
    dnnl_status_t s = make_attr(&attr, 0, sum);
    if (s != dnnl_success) return s;
    s = dnnl_reorder_primitive_desc_create(pd, src, engine, dst, engine, attr);
    dnnl_primitive_attr_destroy(attr);
    return s;
}
