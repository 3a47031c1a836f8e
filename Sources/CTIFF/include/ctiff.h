#ifndef CTIFF_H
#define CTIFF_H
#include <tiffio.h>
#include <stdint.h>
/* Route libtiff warnings and errors into a buffer instead of stderr. */
void dc_tiff_quiet(void);
const char *dc_tiff_last_error(void);
int dc_tiff_get_u16(TIFF *t, uint32_t tag, uint16_t *value);
int dc_tiff_get_u32(TIFF *t, uint32_t tag, uint32_t *value);
int dc_tiff_set_u16(TIFF *t, uint32_t tag, uint16_t value);
int dc_tiff_set_u32(TIFF *t, uint32_t tag, uint32_t value);
#endif
