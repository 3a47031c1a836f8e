#ifndef CCHAFA_SHIM_H
#define CCHAFA_SHIM_H
/* Image escape sequences for the viewer's panes: libchafa's (iTerm2, and sixel for panes of
   more than 256 colors), and kitty as zlib-compressed RGB, which libchafa 1.12 cannot send
   (zlib, always present: libpng needs it). Sixel in the viewer's own palette is CSixel's.
   chafa.h pulls in glib (libglib2.0-dev); pkg-config chafa gives both include paths. */
#include <chafa.h>
#include <stddef.h>
#include <string.h>
#include <zlib.h>

/* Encodes a tightly packed RGB8 raster of exactly cols×cellWidth by rows×cellHeight pixels
   for the terminal protocol `pixelMode` (a ChafaPixelMode). Returns a g_malloc'd buffer of
   *length bytes (free it with g_free), or NULL when chafa cannot make a canvas. */
static inline char *dc_chafa_encode(const unsigned char *rgb, int width, int height,
                                    int pixelMode, int cols, int rows,
                                    int cellWidth, int cellHeight, size_t *length) {
    *length = 0;
    ChafaCanvasConfig *config = chafa_canvas_config_new();
    if (!config) return NULL;
    chafa_canvas_config_set_canvas_mode(config, CHAFA_CANVAS_MODE_TRUECOLOR);
    chafa_canvas_config_set_pixel_mode(config, (ChafaPixelMode)pixelMode);
    chafa_canvas_config_set_cell_geometry(config, cellWidth, cellHeight);
    chafa_canvas_config_set_geometry(config, cols, rows);
    /* Sharp voxels: no dithering, no smoothing beyond the palette. */
    chafa_canvas_config_set_dither_mode(config, CHAFA_DITHER_MODE_NONE);
    ChafaCanvas *canvas = chafa_canvas_new(config);
    chafa_canvas_config_unref(config);
    if (!canvas) return NULL;
    /* chafa 1.12 reads packed RGB8 rows with the wrong stride (the image comes out sheared),
       so the raster goes in as opaque RGBA8. */
    guint8 *rgba = g_malloc((gsize)width * height * 4);
    for (size_t i = 0; i < (size_t)width * height; i++) {
        rgba[4 * i] = rgb[3 * i]; rgba[4 * i + 1] = rgb[3 * i + 1]; rgba[4 * i + 2] = rgb[3 * i + 2]; rgba[4 * i + 3] = 255;
    }
    chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, rgba, width, height, width * 4);
    g_free(rgba);
    /* The fallback term info knows the sequences of every pixel protocol. */
    ChafaTermInfo *info = chafa_term_db_get_fallback_info(chafa_term_db_get_default());
    GString *out = chafa_canvas_print(canvas, info);
    chafa_term_info_unref(info);
    chafa_canvas_unref(canvas);
    *length = out->len;
    return g_string_free(out, FALSE);
}

/* Encodes a tightly packed RGB8 raster as a kitty graphics image over cols×rows cells, in
   kitty's RGB format (f=24) compressed with zlib (o=z): libchafa 1.12 sends RGBA uncompressed.
   The sequence has libchafa's shape: a header, base64 chunks of 4096 characters (each a whole
   number of 3-byte groups), and an empty last chunk (m=0). Returns a g_malloc'd buffer of
   *length bytes (free it with dc_chafa_free), or NULL when zlib fails. */
static inline char *dc_kitty_encode(const unsigned char *rgb, int width, int height, int cols, int rows,
                                    size_t *length) {
    *length = 0;
    uLong raw = (uLong)width * height * 3;
    uLongf packed = compressBound(raw);
    Bytef *z = g_malloc(packed);
    /* Level 1: the noisy EM image hardly compresses better at higher levels, and it is faster. */
    if (compress2(z, &packed, rgb, raw, 1) != Z_OK) { g_free(z); return NULL; }
    GString *out = g_string_sized_new(packed * 4 / 3 + 256);
    g_string_append_printf(out, "\033_Ga=T,f=24,o=z,s=%d,v=%d,c=%d,r=%d,m=1\033\\", width, height, cols, rows);
    for (uLong at = 0; at < packed; at += 3072) {
        uLong n = packed - at < 3072 ? packed - at : 3072;
        gchar *b64 = g_base64_encode(z + at, n);
        g_string_append(out, "\033_Gm=1;");
        g_string_append(out, b64);
        g_string_append(out, "\033\\");
        g_free(b64);
    }
    g_string_append(out, "\033_Gm=0\033\\");
    g_free(z);
    *length = out->len;
    return g_string_free(out, FALSE);
}

static inline int dc_chafa_pixel_mode_sixels(void) { return CHAFA_PIXEL_MODE_SIXELS; }
static inline int dc_chafa_pixel_mode_iterm2(void) { return CHAFA_PIXEL_MODE_ITERM2; }
static inline void dc_chafa_free(char *buffer) { g_free(buffer); }
#endif
