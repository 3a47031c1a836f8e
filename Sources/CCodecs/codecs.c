#include "ccodecs.h"
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <lz4.h>
#include <blosc.h>
#include <bzlib.h>
#include <lzma.h>

long long dc_decode_zlib(const void *source, size_t source_bytes, void *target, size_t capacity) {
    z_stream s;
    memset(&s, 0, sizeof s);
    /* 15 + 32: a zlib or a gzip header, detected from the stream. */
    if (inflateInit2(&s, 15 + 32) != Z_OK) return -1;
    s.next_in = (Bytef *)source; s.avail_in = (uInt)source_bytes;
    s.next_out = (Bytef *)target; s.avail_out = (uInt)capacity;
    int r = inflate(&s, Z_FINISH);
    long long out = (long long)(capacity - s.avail_out);
    inflateEnd(&s);
    return (r == Z_STREAM_END || (r == Z_BUF_ERROR && s.avail_out == 0)) ? out : -1;
}

long long dc_decode_zstd(const void *source, size_t source_bytes, void *target, size_t capacity) {
    size_t r = ZSTD_decompress(target, capacity, source, source_bytes);
    return ZSTD_isError(r) ? -1 : (long long)r;
}

long long dc_decode_lz4_block(const void *source, size_t source_bytes, void *target, size_t capacity) {
    int r = LZ4_decompress_safe((const char *)source, (char *)target, (int)source_bytes, (int)capacity);
    return r < 0 ? -1 : r;
}

long long dc_blosc_decoded_size(const void *source, size_t source_bytes) {
    size_t nbytes = 0, cbytes = 0, blocksize = 0;
    if (source_bytes < 16) return -1;   /* BLOSC_MIN_HEADER_LENGTH */
    blosc_cbuffer_sizes(source, &nbytes, &cbytes, &blocksize);
    return cbytes > source_bytes ? -1 : (long long)nbytes;
}

long long dc_decode_blosc(const void *source, size_t source_bytes, void *target, size_t capacity) {
    if (dc_blosc_decoded_size(source, source_bytes) < 0) return -1;
    int r = blosc_decompress_ctx(source, target, capacity, 1);
    return r < 0 ? -1 : r;
}

long long dc_decode_bzip2(const void *source, size_t source_bytes, void *target, size_t capacity) {
    unsigned int out = (unsigned int)capacity;
    int r = BZ2_bzBuffToBuffDecompress((char *)target, &out, (char *)source, (unsigned int)source_bytes, 0, 0);
    return r == BZ_OK ? (long long)out : -1;
}

long long dc_decode_xz(const void *source, size_t source_bytes, void *target, size_t capacity) {
    uint64_t limit = UINT64_MAX;
    size_t in_pos = 0, out_pos = 0;
    lzma_ret r = lzma_stream_buffer_decode(&limit, 0, NULL, (const uint8_t *)source, &in_pos, source_bytes,
                                           (uint8_t *)target, &out_pos, capacity);
    return r == LZMA_OK ? (long long)out_pos : -1;
}

unsigned int dc_crc32c(const void *bytes, size_t count) {
    static unsigned int table[256];
    static int ready = 0;
    if (!ready) {
        for (unsigned int i = 0; i < 256; i++) {
            unsigned int c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = bytes;
    unsigned int c = 0xFFFFFFFFu;
    for (size_t i = 0; i < count; i++) c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

size_t dc_encode_bound(size_t source_bytes) {
    size_t z = ZSTD_compressBound(source_bytes), g = compressBound((uLong)source_bytes) + 32;
    size_t b = source_bytes + BLOSC_MAX_OVERHEAD;
    size_t m = z > g ? z : g;
    return m > b ? m : b;
}

long long dc_encode_zstd(const void *source, size_t source_bytes, void *target, size_t capacity, int level) {
    size_t r = ZSTD_compress(target, capacity, source, source_bytes, level);
    return ZSTD_isError(r) ? -1 : (long long)r;
}

long long dc_encode_gzip(const void *source, size_t source_bytes, void *target, size_t capacity, int level) {
    z_stream s;
    memset(&s, 0, sizeof s);
    if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;   /* gzip header */
    s.next_in = (Bytef *)source; s.avail_in = (uInt)source_bytes;
    s.next_out = (Bytef *)target; s.avail_out = (uInt)capacity;
    int r = deflate(&s, Z_FINISH);
    long long out = (long long)(capacity - s.avail_out);
    deflateEnd(&s);
    return r == Z_STREAM_END ? out : -1;
}

long long dc_encode_blosc_zstd(const void *source, size_t source_bytes, void *target, size_t capacity, int level, int typesize) {
    /* blocksize 0: blosc picks it, as numcodecs does by default. */
    int r = blosc_compress_ctx(level, BLOSC_SHUFFLE, (size_t)typesize, source_bytes, source, target, capacity, "zstd", 0, 1);
    return r <= 0 ? -1 : r;
}
