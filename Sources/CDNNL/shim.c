#include "cdnnl.h"
#include <stdio.h>
const char *dc_dnnl_version_string(void) {
    static char buf[64];
    const dnnl_version_t *v = dnnl_version();
    snprintf(buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
    return buf;
}
