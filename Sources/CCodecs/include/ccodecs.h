#ifndef CCODECS_H
#define CCODECS_H
#include <stddef.h>

/* Decoders for the chunk codecs of Zarr and N5, each a thin call into the library Debian ships.
   Each decodes `source` (`source_bytes` long) into `target` (room for `capacity` bytes) and returns
   the bytes produced, or -1 when the data are not a valid stream of that codec or do not fit. */
long long dc_decode_zlib(const void *source, size_t source_bytes, void *target, size_t capacity);  /* gzip or zlib */
long long dc_decode_zstd(const void *source, size_t source_bytes, void *target, size_t capacity);
long long dc_decode_lz4_block(const void *source, size_t source_bytes, void *target, size_t capacity);
long long dc_decode_blosc(const void *source, size_t source_bytes, void *target, size_t capacity);
long long dc_decode_bzip2(const void *source, size_t source_bytes, void *target, size_t capacity);
long long dc_decode_xz(const void *source, size_t source_bytes, void *target, size_t capacity);

/* The uncompressed size a blosc header records, or -1 when `source` is not a blosc buffer. */
long long dc_blosc_decoded_size(const void *source, size_t source_bytes);

/* CRC-32C (Castagnoli) of `bytes`, as Zarr v3's crc32c codec stores it. */
unsigned int dc_crc32c(const void *bytes, size_t count);

/* Encoders for writing: each returns the bytes written into `target`, or -1. */
long long dc_encode_zstd(const void *source, size_t source_bytes, void *target, size_t capacity, int level);
long long dc_encode_gzip(const void *source, size_t source_bytes, void *target, size_t capacity, int level);
/* blosc with zstd inside, byte shuffle of `typesize`-byte elements, one thread per call (callers
   encode chunks in parallel themselves). */
long long dc_encode_blosc_zstd(const void *source, size_t source_bytes, void *target, size_t capacity, int level, int typesize);
/* Room for the output of any encoder above. */
size_t dc_encode_bound(size_t source_bytes);
#endif
