#include "cdnnl.h"
#include "cdnnl_training.h"

dnnl_status_t dc_conv_train_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, int direction,
                               int64_t ic, int64_t oc, int64_t d, int64_t h, int64_t w,
                               int64_t kd, int64_t kh, int64_t kw, dnnl_format_tag_t activations) {
    dnnl_memory_desc_t src, wei, bias, dst;
    dnnl_status_t s;
    if ((s = dc_md_activation(&src, ic, d, h, w, dnnl_f32, activations)) != dnnl_success) return s;
    if ((s = dc_md_weights(&wei, oc, ic, kd, kh, kw, dnnl_f32, dnnl_format_tag_any)) != dnnl_success) return s;
    if ((s = dc_md_bias(&bias, oc)) != dnnl_success) return s;
    if ((s = dc_md_activation(&dst, oc, d, h, w, dnnl_f32, activations)) != dnnl_success) return s;
    dnnl_dims_t strides = {1, 1, 1}, pad = {(kd - 1) / 2, (kh - 1) / 2, (kw - 1) / 2};
    /* The backward descriptors need the forward one as a hint. */
    dnnl_convolution_desc_t fwd;
    s = dnnl_convolution_forward_desc_init(&fwd, dnnl_forward_training, dnnl_convolution_direct,
                                           &src, &wei, &bias, &dst, strides, pad, pad);
    if (s != dnnl_success) return s;
    dnnl_primitive_desc_t hint;
    if ((s = dnnl_primitive_desc_create(&hint, &fwd, NULL, engine, NULL)) != dnnl_success) return s;
    if (direction == 0) { *pd = hint; return dnnl_success; }
    dnnl_convolution_desc_t bwd;
    if (direction == 1)
        s = dnnl_convolution_backward_data_desc_init(&bwd, dnnl_convolution_direct, &src, &wei, &dst,
                                                     strides, pad, pad);
    else
        s = dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &src, &wei, &bias, &dst,
                                                        strides, pad, pad);
    if (s == dnnl_success) s = dnnl_primitive_desc_create(pd, &bwd, NULL, engine, hint);
    dnnl_primitive_desc_destroy(hint);
    return s;
}
