#ifndef CPNG_H
#define CPNG_H
#include <png.h>
#include <stdint.h>

/* libpng reports errors by longjmp; these wrappers catch it and return nonzero with a message. */
int dc_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                 int channels, char *err, int errlen);
/* Reads any PNG as 8-bit: gray (1), gray+alpha (2), RGB (3) or RGBA (4). *pixels is malloc'ed.
   Palette images expand to their palette indices when keep_palette != 0 (label PNGs). */
int dc_png_read(const char *path, uint8_t **pixels, uint32_t *width, uint32_t *height,
                int *channels, int *bit_depth, int keep_palette, char *err, int errlen);
#endif
