#include "cpng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

static void set_err(char *err, int errlen, const char *msg) {
    if (err && errlen > 0) { strncpy(err, msg, (size_t)errlen - 1); err[errlen - 1] = 0; }
}

int dc_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                 int channels, char *err, int errlen) {
    FILE *fp = fopen(path, "wb");
    if (!fp) { set_err(err, errlen, "cannot open for writing"); return 1; }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) { fclose(fp); set_err(err, errlen, "out of memory"); return 1; }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info); fclose(fp);
        set_err(err, errlen, "libpng write error"); return 1;
    }
    int type = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 2 ? PNG_COLOR_TYPE_GRAY_ALPHA
             : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
    png_init_io(png, fp);
    png_set_compression_level(png, 6);
    png_set_IHDR(png, info, width, height, 8, type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++)
        png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(fp) != 0) { set_err(err, errlen, "write failed"); return 1; }
    return 0;
}

int dc_png_read(const char *path, uint8_t **pixels, uint32_t *width, uint32_t *height,
                int *channels, int *bit_depth, int keep_palette, char *err, int errlen) {
    *pixels = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) { set_err(err, errlen, "cannot open"); return 1; }
    unsigned char sig[8];
    if (fread(sig, 1, 8, fp) != 8 || png_sig_cmp(sig, 0, 8)) {
        fclose(fp); set_err(err, errlen, "not a PNG file"); return 1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) { fclose(fp); set_err(err, errlen, "out of memory"); return 1; }
    uint8_t *buf = NULL;
    png_bytep *rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL); fclose(fp); free(buf); free(rows);
        set_err(err, errlen, "corrupt or truncated PNG"); return 1;
    }
    png_init_io(png, fp);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    int type = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    *bit_depth = depth;
    if (type == PNG_COLOR_TYPE_PALETTE) {
        if (keep_palette) { if (depth < 8) png_set_packing(png); }
        else png_set_palette_to_rgb(png);
    }
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_strip_16(png);
    png_read_update_info(png, info);
    uint32_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    int ch = png_get_channels(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    buf = malloc(rowbytes * h);
    rows = malloc(sizeof(png_bytep) * h);
    if (!buf || !rows) { png_destroy_read_struct(&png, &info, NULL); fclose(fp); free(buf); free(rows);
        set_err(err, errlen, "out of memory"); return 1; }
    for (uint32_t y = 0; y < h; y++) rows[y] = buf + y * rowbytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(fp); free(rows);
    *pixels = buf; *width = w; *height = h; *channels = ch;
    return 0;
}
