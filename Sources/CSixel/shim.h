#ifndef CSIXEL_SHIM_H
#define CSIXEL_SHIM_H
/* libsixel (libsixel-dev), the reference sixel codec, encodes the viewer's sixel panes in a
   palette the caller chose (libchafa 1.12 always builds its own). pkg-config libsixel gives
   the include path. */
#include <sixel.h>
#include <stdlib.h>
#include <string.h>

typedef struct { char *bytes; size_t length, capacity; int failed; } dc_sixel_buffer;

/* libsixel's write callback: appends each packet it flushes. */
static inline int dc_sixel_append(char *data, int size, void *priv) {
    dc_sixel_buffer *b = (dc_sixel_buffer *)priv;
    if (b->failed) return -1;
    if (b->length + (size_t)size > b->capacity) {
        size_t capacity = 2 * (b->length + (size_t)size);
        char *grown = realloc(b->bytes, capacity);
        if (!grown) { b->failed = 1; return -1; }
        b->bytes = grown; b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, data, (size_t)size);
    b->length += (size_t)size;
    return size;
}

/* Encodes an indexed raster (one byte a pixel, PAL8) with libsixel in `palette`: `count` (1…256)
   RGB8 colors, used as they are (no quantization, no diffusion). Returns a malloc'd buffer of
   *length bytes holding the DCS sequence (free it with dc_sixel_free), or NULL on failure. */
static inline char *dc_sixel_encode(const unsigned char *index, int width, int height,
                                    const unsigned char *palette, int count, size_t *length) {
    *length = 0;
    dc_sixel_buffer buffer = { NULL, 0, 0, 0 };
    sixel_dither_t *dither = NULL;
    sixel_output_t *output = NULL;
    SIXELSTATUS status = sixel_dither_new(&dither, count, NULL);
    if (SIXEL_SUCCEEDED(status)) {
        sixel_dither_set_palette(dither, (unsigned char *)palette);
        sixel_dither_set_pixelformat(dither, SIXEL_PIXELFORMAT_PAL8);
        sixel_dither_set_diffusion_type(dither, SIXEL_DIFFUSE_NONE);
        status = sixel_output_new(&output, dc_sixel_append, &buffer, NULL);
    }
    if (SIXEL_SUCCEEDED(status)) {
        /* Size first: on the demo's panes a quarter fewer bytes than the default policy. */
        sixel_output_set_encode_policy(output, SIXEL_ENCODEPOLICY_SIZE);
        status = sixel_encode((unsigned char *)index, width, height, 8, dither, output);
    }
    if (output) sixel_output_unref(output);
    if (dither) sixel_dither_unref(dither);
    if (SIXEL_FAILED(status) || buffer.failed) { free(buffer.bytes); return NULL; }
    *length = buffer.length;
    return buffer.bytes;
}

static inline void dc_sixel_free(char *buffer) { free(buffer); }
#endif
