#include <zlib.h>
#include <string.h>
#include "chdf5.h"
#include <stdio.h>
#include <string.h>
#include <stdint.h>

hid_t dc_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
hid_t dc_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
hid_t dc_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
hid_t dc_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
hid_t dc_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
hid_t dc_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
hid_t dc_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
hid_t dc_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
hid_t dc_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
hid_t dc_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
hid_t dc_h5t_c_s1(void) { return H5T_C_S1; }
hid_t dc_h5p_default(void) { return H5P_DEFAULT; }
hid_t dc_h5s_all(void) { return H5S_ALL; }
hid_t dc_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
hid_t dc_h5p_file_access(void) { return H5P_FILE_ACCESS; }
hid_t dc_h5p_dataset_access(void) { return H5P_DATASET_ACCESS; }
hsize_t dc_h5s_unlimited(void) { return H5S_UNLIMITED; }

unsigned dc_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
unsigned dc_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
unsigned dc_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
size_t dc_h5t_variable(void) { return H5T_VARIABLE; }

/* IEEE half precision, little endian, as numpy's float16 is stored by h5py. */
hid_t dc_h5t_ieee_f16le(void) {
    static hid_t t = -1;
    if (t < 0) {
        hid_t f = H5Tcopy(H5T_IEEE_F32LE);
        H5Tset_fields(f, 15, 10, 5, 0, 10);
        H5Tset_size(f, 2);
        H5Tset_ebias(f, 15);
        H5Tlock(f);
        t = f;
    }
    return t;
}

void dc_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

long long dc_h5_chunk_bytes(hid_t dataset, const hsize_t *offset) {
    hsize_t bytes = 0;
    if (H5Dget_chunk_storage_size(dataset, offset, &bytes) < 0 || bytes == 0) return -1;
    return (long long)bytes;
}

int dc_h5_read_chunk(hid_t dataset, const hsize_t *offset, unsigned int *skipped, void *buffer) {
    uint32_t mask = 0;
    if (H5Dread_chunk(dataset, H5P_DEFAULT, offset, &mask, buffer) < 0) return -1;
    *skipped = mask;
    return 0;
}

long long dc_inflate_front(const void *source, size_t source_bytes, void *target, size_t wanted) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) return -1;
    z.next_in = (Bytef *)source;
    z.avail_in = (uInt)source_bytes;
    z.next_out = (Bytef *)target;
    z.avail_out = (uInt)wanted;
    int rc = Z_OK;
    while (z.avail_out > 0 && rc == Z_OK) rc = inflate(&z, Z_NO_FLUSH);
    long long produced = (long long)(wanted - z.avail_out);
    inflateEnd(&z);
    return (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) ? produced : -1;
}

struct dc_refusal { char *text; size_t len; };

/* The source value of a conversion exception as text; the bytes are in the source type's order. */
static void dc_describe(hid_t src, const void *value, char *text, size_t len) {
    size_t size = H5Tget_size(src);
    unsigned char bytes[16] = {0};
    if (size > sizeof bytes) { snprintf(text, len, "a value"); return; }
    memcpy(bytes, value, size);
    if (H5Tget_order(src) == H5T_ORDER_BE) {
        for (size_t i = 0; i < size / 2; i++) { unsigned char t = bytes[i]; bytes[i] = bytes[size - 1 - i]; bytes[size - 1 - i] = t; }
    }
    H5T_class_t cls = H5Tget_class(src);
    if (cls == H5T_INTEGER && size <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < size; i++) u |= (uint64_t)bytes[i] << (8 * i);
        if (H5Tget_sign(src) == H5T_SGN_2 && size < 8 && (u >> (8 * size - 1)) & 1) u |= ~(uint64_t)0 << (8 * size);
        if (H5Tget_sign(src) == H5T_SGN_2) snprintf(text, len, "%lld", (long long)(int64_t)u);
        else snprintf(text, len, "%llu", (unsigned long long)u);
    } else if (cls == H5T_FLOAT && size == 8) {
        double d; memcpy(&d, bytes, 8); snprintf(text, len, "%.17g", d);
    } else if (cls == H5T_FLOAT && size == 4) {
        float f; memcpy(&f, bytes, 4); snprintf(text, len, "%.9g", (double)f);
    } else {
        snprintf(text, len, "a value");
    }
}

static H5T_conv_ret_t dc_refuse(H5T_conv_except_t kind, hid_t src, hid_t dst, void *src_buf, void *dst_buf, void *user) {
    (void)dst_buf;
    /* Rounding (int to float) and dropping fractions are not saturation: let HDF5 do its default. */
    if (kind == H5T_CONV_EXCEPT_PRECISION || kind == H5T_CONV_EXCEPT_TRUNCATE) return H5T_CONV_UNHANDLED;
    /* Infinity and NaN stay themselves in a float; only an integer cannot hold them. */
    if ((kind == H5T_CONV_EXCEPT_PINF || kind == H5T_CONV_EXCEPT_NINF || kind == H5T_CONV_EXCEPT_NAN)
        && H5Tget_class(dst) != H5T_INTEGER) return H5T_CONV_UNHANDLED;
    struct dc_refusal *r = user;
    if (r->text[0] == 0) dc_describe(src, src_buf, r->text, r->len);
    return H5T_CONV_ABORT;
}

herr_t dc_h5_read_checked(hid_t dataset, hid_t mem_type, hid_t mem_space, hid_t file_space, void *buf,
                          char *bad, size_t bad_len) {
    bad[0] = 0;
    struct dc_refusal r = { bad, bad_len };
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_type_conv_cb(xfer, dc_refuse, &r);
    herr_t status = H5Dread(dataset, mem_type, mem_space, file_space, xfer, buf);
    H5Pclose(xfer);
    return status;
}

hid_t dc_h5d_open_cached(hid_t file, const char *name, size_t cache_bytes, size_t slots) {
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0) return -1;
    /* w0 = 1: chunks read in full are evicted first, which suits one streaming pass. */
    H5Pset_chunk_cache(dapl, slots, cache_bytes, 1.0);
    hid_t d = H5Dopen2(file, name, dapl);
    H5Pclose(dapl);
    return d;
}
