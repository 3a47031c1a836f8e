#ifndef CCHAFA_SHIM_H
#define CCHAFA_SHIM_H
/* libchafa encodes RGB rasters as sixel, kitty or iTerm2 image escape sequences. chafa.h
   pulls in glib (libglib2.0-dev); pkg-config chafa gives both include paths. */
#include <chafa.h>
#include <stddef.h>
#include <string.h>

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

static inline int dc_chafa_pixel_mode_sixels(void) { return CHAFA_PIXEL_MODE_SIXELS; }
static inline int dc_chafa_pixel_mode_kitty(void) { return CHAFA_PIXEL_MODE_KITTY; }
static inline int dc_chafa_pixel_mode_iterm2(void) { return CHAFA_PIXEL_MODE_ITERM2; }
static inline void dc_chafa_free(char *buffer) { g_free(buffer); }
#endif
