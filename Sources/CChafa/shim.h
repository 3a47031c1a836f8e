#ifndef CCHAFA_SHIM_H
#define CCHAFA_SHIM_H
/* Image escape sequences for the viewer's panes: libchafa's (iTerm2, and sixel for panes of
   many colors), and two it cannot make in 1.12: sixel in a palette given by the caller, and
   kitty as zlib-compressed RGB (zlib, always present: libpng needs it). chafa.h pulls in glib
   (libglib2.0-dev); pkg-config chafa gives both include paths. */
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

/* Encodes an indexed raster as a sixel DCS sequence, for palettes libchafa 1.12 cannot be
   given (it always builds its own 256 colors). `palette` holds `count` (at most 256) RGB8
   colors in paint order: within each band of six rows the colors are painted in that order,
   each over every pixel of its own color and, where that lengthens a run of equal sixel
   characters, over pixels that a later color paints again. Returns a g_malloc'd buffer of
   *length bytes (free it with dc_chafa_free). */
static inline char *dc_sixel_encode(const unsigned char *index, int width, int height,
                                    const unsigned char *palette, int count, size_t *length) {
    GString *out = g_string_sized_new((gsize)width * height / 2 + 4096);
    /* P2 = 1: pixels a color does not set keep what is under them. */
    g_string_append_printf(out, "\033P0;1;0q\"1;1;%d;%d", width, height);
    /* Color registers by how often the color occurs, so the common ones have short numbers. */
    size_t used[256] = {0};
    int reg[256];
    for (size_t i = 0; i < (size_t)width * height; i++) used[index[i]]++;
    for (int c = 0; c < count; c++) {
        reg[c] = 0;
        for (int d = 0; d < count; d++) reg[c] += used[d] > used[c] || (used[d] == used[c] && d < c);
    }
    for (int c = 0; c < count; c++)
        g_string_append_printf(out, "#%d;2;%d;%d;%d", reg[c], (palette[3 * c] * 100 + 127) / 255,
                               (palette[3 * c + 1] * 100 + 127) / 255, (palette[3 * c + 2] * 100 + 127) / 255);
    unsigned char *exact = g_malloc((gsize)width), *allowed = g_malloc((gsize)width);
    for (int y0 = 0; y0 < height; y0 += 6) {
        int rows = height - y0 < 6 ? height - y0 : 6;
        unsigned char present[256] = {0};
        for (int y = y0; y < y0 + rows; y++)
            for (int x = 0; x < width; x++) present[index[(size_t)y * width + x]] = 1;
        int first = 1;
        for (int c = 0; c < count; c++) {
            if (!present[c]) continue;
            for (int x = 0; x < width; x++) {
                unsigned char e = 0, a = 0;
                for (int k = 0; k < rows; k++) {
                    int v = index[(size_t)(y0 + k) * width + x];
                    if (v == c) e |= (unsigned char)(1 << k);
                    if (v >= c) a |= (unsigned char)(1 << k);
                }
                exact[x] = e; allowed[x] = a;
            }
            int end = width;
            while (end > 0 && exact[end - 1] == 0) end--;
            if (!first) g_string_append_c(out, '$');
            first = 0;
            g_string_append_printf(out, "#%d", reg[c]);
            for (int x = 0; x < end; ) {
                /* The longest run one character can paint: it must set every pixel of this
                   color and may set pixels painted later. */
                unsigned char lo = exact[x], hi = allowed[x];
                int n = 1;
                while (x + n < end && ((lo | exact[x + n]) & ~(hi & allowed[x + n])) == 0) {
                    lo |= exact[x + n]; hi &= allowed[x + n]; n++;
                }
                char ch = (char)('?' + lo);
                for (int left = n; left > 0; ) {
                    int k = left > 255 ? 255 : left;
                    if (k < 4) { for (int i = 0; i < k; i++) g_string_append_c(out, ch); }
                    else g_string_append_printf(out, "!%d%c", k, ch);
                    left -= k;
                }
                x += n;
            }
        }
        if (y0 + 6 < height) g_string_append_c(out, '-');
    }
    g_free(exact); g_free(allowed);
    g_string_append(out, "\033\\");
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
