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
/* H5Dopen2 with a chunk cache of `cache_bytes` in `slots` hash slots (H5Pset_chunk_cache on a
   dataset access property list), sized by the caller for its access pattern. */
hid_t dc_h5d_open_cached(hid_t file, const char *name, size_t cache_bytes, size_t slots);
/* Silence HDF5's automatic error stack printing; errors are reported by densecell itself. */
void dc_h5_quiet(void);

/* The stored (still compressed) size of the chunk at `offset` (its first element's coordinates),
   or -1 when the chunk was never written or cannot be found. */
long long dc_h5_chunk_bytes(hid_t dataset, const hsize_t *offset);

/* Reads the stored bytes of the chunk at `offset` into `buffer` (dc_h5_chunk_bytes large). Sets
   *skipped to the filters that were not applied when it was written; returns 0, or -1 on failure. */
int dc_h5_read_chunk(hid_t dataset, const hsize_t *offset, unsigned int *skipped, void *buffer);

/* Inflates the zlib stream `source` into `target` until `wanted` bytes are out (or the stream
   ends), so only the front of a chunk is decompressed. Returns the bytes produced, or -1. */
long long dc_inflate_front(const void *source, size_t source_bytes, void *target, size_t wanted);

/* Registers the HDF5 filters densecell decodes itself (LZF on liblzf, zstd on libzstd); once per
   process, before the first read. Returns 0, or -1 when HDF5 refused one. */
int dc_h5_register_filters(void);

/* Whether HDF5 can apply filter `filter` (registered, built in, or loaded as a plugin now). */
int dc_h5_filter_available(int filter);
#endif
