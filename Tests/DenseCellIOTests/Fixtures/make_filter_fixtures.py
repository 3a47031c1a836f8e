"""Writes h5py-filters.h5: the same small volumes compressed with the HDF5 filters h5py and
hdf5plugin users write (LZF, blosc with each codec, lz4, bitshuffle+lz4, zstd, bzip2), so the
reader is tested on files made by the libraries users write with.

    python3 -m venv venv && venv/bin/pip install h5py hdf5plugin numpy
    venv/bin/python make_filter_fixtures.py

Every dataset holds base(z, y, x) = z*31 + y*7 + x*3 reduced to its type (uint8: % 251,
uint16: *17 % 65521, float32: / 8 - 100), shape 5x32x40, chunks 2x16x16 (edge chunks partial)."""
import h5py
import hdf5plugin
import numpy as np

z, y, x = np.meshgrid(np.arange(5), np.arange(32), np.arange(40), indexing="ij")
base = z * 31 + y * 7 + x * 3
volumes = {
    "uint8": (base % 251).astype(np.uint8),
    "uint16": (base * 17 % 65521).astype(np.uint16),
    "float32": (base / 8.0 - 100).astype(np.float32),
}
filters = {
    "lzf": dict(compression="lzf"),
    "blosc_lz4": dict(hdf5plugin.Blosc(cname="lz4", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE)),
    "blosc_zstd": dict(hdf5plugin.Blosc(cname="zstd", clevel=3, shuffle=hdf5plugin.Blosc.BITSHUFFLE)),
    "blosc_zlib": dict(hdf5plugin.Blosc(cname="zlib", clevel=5, shuffle=hdf5plugin.Blosc.NOSHUFFLE)),
    "blosc_blosclz": dict(hdf5plugin.Blosc(cname="blosclz", clevel=5)),
    "lz4": dict(hdf5plugin.LZ4()),
    "bitshuffle_lz4": dict(hdf5plugin.Bitshuffle(cname="lz4")),
    "zstd": dict(hdf5plugin.Zstd(clevel=5)),
    "bzip2": dict(hdf5plugin.BZip2()),
}
with h5py.File("h5py-filters.h5", "w") as f:
    for fname, options in filters.items():
        for tname, data in volumes.items():
            f.create_dataset(f"{fname}/{tname}", data=data, chunks=(2, 16, 16), **options)
    # A filter Debian ships no plugin for (SZ, 32017): reading it must name the filter.
    f.create_dataset("sz/float32", data=volumes["float32"], chunks=(2, 16, 16), **hdf5plugin.SZ(absolute=0.01))
