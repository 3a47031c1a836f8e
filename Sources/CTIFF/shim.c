#include "ctiff.h"
#include <stdio.h>
#include <stdarg.h>

static char last_error[512];
static void on_error(const char *module, const char *fmt, va_list ap) {
    (void)module; vsnprintf(last_error, sizeof last_error, fmt, ap);
}
static void on_warning(const char *module, const char *fmt, va_list ap) { (void)module; (void)fmt; (void)ap; }
void dc_tiff_quiet(void) { TIFFSetErrorHandler(on_error); TIFFSetWarningHandler(on_warning); }
const char *dc_tiff_last_error(void) { return last_error; }
/* TIFFGetField/TIFFSetField are variadic, which Swift cannot call. */
int dc_tiff_get_u16(TIFF *t, uint32_t tag, uint16_t *value) { return TIFFGetField(t, tag, value); }
int dc_tiff_get_u32(TIFF *t, uint32_t tag, uint32_t *value) { return TIFFGetField(t, tag, value); }
int dc_tiff_set_u16(TIFF *t, uint32_t tag, uint16_t value) { return TIFFSetField(t, tag, value); }
int dc_tiff_set_u32(TIFF *t, uint32_t tag, uint32_t value) { return TIFFSetField(t, tag, value); }
