#ifndef CDNNL_H
#define CDNNL_H
#include <dnnl.h>
/* oneDNN's C API is plain functions and enums; the shim only pins the header and adds helpers. */
const char *dc_dnnl_version_string(void);
#endif
