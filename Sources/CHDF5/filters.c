/* HDF5 filters that Debian's HDF5 cannot load itself, registered with H5Zregister on the
   compression libraries Debian ships: LZF (h5py's fast filter, 32000; Debian's hdf5-plugin-lzf
   does not load: undefined symbol lzf_decompress) on liblzf, and zstd (hdf5plugin's, 32015) on
   libzstd. Blosc, lz4, bzip2 and bitshuffle come from Debian's plugin packages. */
#include "chdf5.h"
#include <errno.h>
#include <stdlib.h>
#include <liblzf/lzf.h>
#include <zstd.h>

/* LZF as h5py writes it: cd_values[2], when set, is the chunk's uncompressed size; a chunk that
   did not shrink is stored raw with the filter skipped (HDF5 handles that through the chunk's
   filter mask). */
static size_t lzf_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                         size_t *buf_size, void **buf) {
    if (flags & H5Z_FLAG_REVERSE) {
        size_t out_size = (cd_nelmts >= 3 && cd_values[2] != 0) ? cd_values[2] : *buf_size;
        for (;;) {
            void *out = malloc(out_size);
            if (!out) return 0;
            unsigned got = lzf_decompress(*buf, (unsigned)nbytes, out, (unsigned)out_size);
            if (got > 0) { free(*buf); *buf = out; *buf_size = out_size; return got; }
            free(out);
            if (errno != E2BIG || out_size > ((size_t)1 << 34)) return 0;
            out_size *= 2;   /* no size recorded: grow until it fits, as h5py does */
        }
    }
    size_t out_size = nbytes;   /* a chunk LZF cannot shrink is left unfiltered */
    void *out = malloc(out_size);
    if (!out) return 0;
    unsigned got = lzf_compress(*buf, (unsigned)nbytes, out, (unsigned)out_size);
    if (got == 0) { free(out); return 0; }
    free(*buf); *buf = out; *buf_size = out_size;
    return got;
}

/* zstd as hdf5plugin writes it: one zstd frame per chunk, cd_values[0] the level. */
static size_t zstd_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                          size_t *buf_size, void **buf) {
    if (flags & H5Z_FLAG_REVERSE) {
        unsigned long long size = ZSTD_getFrameContentSize(*buf, nbytes);
        if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > ((unsigned long long)1 << 34)) return 0;
        void *out = malloc(size ? size : 1);
        if (!out) return 0;
        size_t got = ZSTD_decompress(out, size, *buf, nbytes);
        if (ZSTD_isError(got)) { free(out); return 0; }
        free(*buf); *buf = out; *buf_size = size;
        return got;
    }
    int level = cd_nelmts >= 1 ? (int)cd_values[0] : 3;
    size_t bound = ZSTD_compressBound(nbytes);
    void *out = malloc(bound);
    if (!out) return 0;
    size_t got = ZSTD_compress(out, bound, *buf, nbytes, level);
    if (ZSTD_isError(got)) { free(out); return 0; }
    free(*buf); *buf = out; *buf_size = bound;
    return got;
}

int dc_h5_register_filters(void) {
    static int done = 0;
    if (done) return 0;
    done = 1;
    const H5Z_class2_t lzf = { H5Z_CLASS_T_VERS, (H5Z_filter_t)32000, 1, 1, "lzf", NULL, NULL, lzf_filter };
    const H5Z_class2_t zstd = { H5Z_CLASS_T_VERS, (H5Z_filter_t)32015, 1, 1, "zstd", NULL, NULL, zstd_filter };
    int status = 0;
    if (H5Zregister(&lzf) < 0) status = -1;
    if (H5Zregister(&zstd) < 0) status = -1;
    return status;
}

int dc_h5_filter_available(int filter) { return H5Zfilter_avail((H5Z_filter_t)filter) > 0; }
