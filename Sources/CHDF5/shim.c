#include "chdf5.h"

hid_t dc_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
hid_t dc_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
hid_t dc_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
hid_t dc_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
hid_t dc_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
hid_t dc_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
hid_t dc_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
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
