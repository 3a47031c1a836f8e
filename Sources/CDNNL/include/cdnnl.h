#ifndef CDNNL_H
#define CDNNL_H
#include <dnnl.h>
#include <dnnl_version.h>
#include <stdint.h>
/* The shims use oneDNN 2.x's C API (operation descriptors, dnnl_memory_desc_t as a struct);
   3.x removed it, so any other major version fails here rather than in a confusing call. */
#if !defined(DNNL_VERSION_MAJOR) || DNNL_VERSION_MAJOR != 2
#error "densecell needs oneDNN 2.x (Debian/Ubuntu: libdnnl-dev 2.x); the oneDNN headers found are not version 2"
#endif
/* oneDNN's C API is plain functions and enums; the shim pins the header and wraps the calls that
   take dnnl_dims_t arrays or macros, which Swift imports awkwardly. Every descriptor here uses
   batch size 1 and 5-D (n, c, d, h, w) tensors. */
const char *dc_dnnl_version_string(void);

enum {
    DC_ARG_SRC = DNNL_ARG_SRC,
    DC_ARG_DST = DNNL_ARG_DST,
    DC_ARG_WEIGHTS = DNNL_ARG_WEIGHTS,
    DC_ARG_BIAS = DNNL_ARG_BIAS,
    DC_ARG_FROM = DNNL_ARG_FROM,
    DC_ARG_TO = DNNL_ARG_TO,
    DC_ARG_MULTIPLE_SRC = DNNL_ARG_MULTIPLE_SRC,
    DC_ARG_WORKSPACE = DNNL_ARG_WORKSPACE,
};

/* The instruction set oneDNN's CPU kernels actually use (after DNNL_MAX_CPU_ISA), as the name of
   dnnl_cpu_isa_t without its prefix ("avx512_core_amx", "avx512_core_bf16", …), whether it has
   bf16 instructions (AVX512-BF16, also part of AMX: bf16 then runs about 2× f32, not emulated),
   and whether it includes AMX tiles (the bf16 matrix units that make bf16 much faster still). */
const char *dc_effective_isa_name(void);
int dc_effective_isa_has_native_bf16(void);
int dc_effective_isa_has_amx(void);

/* A CPU engine and an in-order stream on it. */
dnnl_status_t dc_engine_create(dnnl_engine_t *engine);

/* A 5-D activation descriptor (1, c, d, h, w) with the given layout tag (dnnl_format_tag_any allowed). */
dnnl_status_t dc_md_activation(dnnl_memory_desc_t *md, int64_t c, int64_t d, int64_t h, int64_t w,
                               dnnl_data_type_t dt, dnnl_format_tag_t tag);
/* A weights descriptor (oc, ic, kd, kh, kw). */
dnnl_status_t dc_md_weights(dnnl_memory_desc_t *md, int64_t oc, int64_t ic, int64_t kd, int64_t kh, int64_t kw,
                            dnnl_data_type_t dt, dnnl_format_tag_t tag);
/* A 1-D float32 bias descriptor. */
dnnl_status_t dc_md_bias(dnnl_memory_desc_t *md, int64_t oc);

/* Same-padded stride-1 convolution on input spatial size (d, h, w), all layouts `any`. Post-ops:
   ReLU when relu != 0, then accumulation into the existing destination when sum != 0. dst_fixed,
   when not NULL, forces the destination layout (needed for the sum). */
dnnl_status_t dc_conv_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                         int64_t ic, int64_t oc, int64_t d, int64_t h, int64_t w,
                         int64_t kd, int64_t kh, int64_t kw, int relu, int sum,
                         dnnl_data_type_t dt, const dnnl_memory_desc_t *dst_fixed);
/* Max pooling 1x2x2, stride (1,2,2). */
dnnl_status_t dc_pool_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, const dnnl_memory_desc_t *src);
/* Softmax over channels. */
dnnl_status_t dc_softmax_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, const dnnl_memory_desc_t *src);
/* Channel concatenation of two tensors (a first) into layout dst_tag (dnnl_format_tag_any: the
   library's choice). */
dnnl_status_t dc_concat_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                           const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *b, dnnl_format_tag_t dst_tag);
dnnl_status_t dc_reorder_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                            const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst);

/* A transposed 1x2x2 convolution with stride (1,2,2) is computed as a 1x1x1 convolution to 4*oc
   channels ordered (b, c, o), followed by one reorder that moves channel (2b+c)*oc + o of voxel
   (z, y, x) to channel o of voxel (z, 2y+b, 2x+c). This builds the two 7-D strided views
   (O, z, y, b, x, c, o_inner) of the source (4oc, d, h, w) and destination (oc, d, 2h, 2w) buffers
   that make that reorder. Returns dnnl_unimplemented when a layout cannot be expressed that way
   (then make the source plain and retry). */
dnnl_status_t dc_shuffle_views(const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst, int64_t oc,
                               dnnl_memory_desc_t *src_view, dnnl_memory_desc_t *dst_view);
/* A reorder that adds into the destination (sum post-op) when sum != 0. */
dnnl_status_t dc_reorder_sum_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine,
                                const dnnl_memory_desc_t *src, const dnnl_memory_desc_t *dst, int sum);

/* Memory owned by the library, or wrapping a caller's buffer (ptr may be changed later with
   dnnl_memory_set_data_handle). */
dnnl_status_t dc_memory_alloc(dnnl_memory_t *mem, const dnnl_memory_desc_t *md, dnnl_engine_t engine);
dnnl_status_t dc_memory_wrap(dnnl_memory_t *mem, const dnnl_memory_desc_t *md, dnnl_engine_t engine, void *ptr);

/* Description of a memory descriptor's layout, for diagnostics ("nCdhw16c"-like string). */
const char *dc_md_describe(const dnnl_memory_desc_t *md);
/* Implementation name of a primitive descriptor ("jit:avx512_core", "ref:any"). */
const char *dc_pd_impl(const_dnnl_primitive_desc_t pd);
#endif
