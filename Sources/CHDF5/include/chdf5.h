#ifndef CHDF5_H
#define CHDF5_H
#include <hdf5/serial/hdf5.h>

/* HDF5's type and property constants are macros over global ids, which Swift cannot import. */
hid_t dc_h5t_native_uint8(void);
hid_t dc_h5t_native_int8(void);
hid_t dc_h5t_native_uint16(void);
hid_t dc_h5t_native_int16(void);
hid_t dc_h5t_native_int32(void);
hid_t dc_h5t_native_uint32(void);
hid_t dc_h5t_native_int64(void);
hid_t dc_h5t_native_float(void);
hid_t dc_h5t_native_double(void);
hid_t dc_h5t_ieee_f16le(void);   /* committed-style half-float file type, built once */
hid_t dc_h5t_c_s1(void);
hid_t dc_h5p_default(void);
hid_t dc_h5s_all(void);
hid_t dc_h5p_dataset_create(void);
hid_t dc_h5p_file_access(void);
hid_t dc_h5p_dataset_access(void);
hsize_t dc_h5s_unlimited(void);
unsigned dc_h5f_acc_rdonly(void);
unsigned dc_h5f_acc_rdwr(void);
unsigned dc_h5f_acc_trunc(void);
size_t dc_h5t_variable(void);
hid_t dc_h5t_native_uint64(void);
/* H5Dread that refuses values the memory type cannot hold (out of range, or NaN/infinity into an
   integer) instead of letting HDF5 saturate them. Returns H5Dread's status; when a value was
   refused, `bad` holds it as text (else bad[0] == 0). */
herr_t dc_h5_read_checked(hid_t dataset, hid_t mem_type, hid_t mem_space, hid_t file_space, void *buf,
                          char *bad, size_t bad_len);
/* Silence HDF5's automatic error stack printing; errors are reported by densecell itself. */
void dc_h5_quiet(void);
#endif
