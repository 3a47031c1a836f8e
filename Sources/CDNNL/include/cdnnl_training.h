#ifndef CDNNL_TRAINING_H
#define CDNNL_TRAINING_H
#include <dnnl.h>
#include <stdint.h>
/* Training primitives: same-padded stride-1 float32 convolutions with activations in the given
   layout (channels-last ndhwc has fast kernels in all three directions) and weights in the
   library's choice, in the three directions back-propagation needs. */

enum {
    DC_ARG_DIFF_SRC = DNNL_ARG_DIFF_SRC,
    DC_ARG_DIFF_DST = DNNL_ARG_DIFF_DST,
    DC_ARG_DIFF_WEIGHTS = DNNL_ARG_DIFF_WEIGHTS,
    DC_ARG_DIFF_BIAS = DNNL_ARG_DIFF_BIAS,
};

/* direction: 0 forward training, 1 backward data, 2 backward weights (with bias). */
dnnl_status_t dc_conv_train_pd(dnnl_primitive_desc_t *pd, dnnl_engine_t engine, int direction,
                               int64_t ic, int64_t oc, int64_t d, int64_t h, int64_t w,
                               int64_t kd, int64_t kh, int64_t kw, dnnl_format_tag_t activations);
#endif
