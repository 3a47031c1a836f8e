"""Writes the IO test fixtures with independent writers (h5py, tifffile).

Run from this folder: python3 make_fixtures.py   (needs numpy, h5py, tifffile)
Every array is a formula of (z, y, x) so the Swift tests can recompute expected values.
"""
import numpy as np
import h5py
import tifffile

Z, Y, X = 5, 32, 40
z, y, x = np.meshgrid(np.arange(Z), np.arange(Y), np.arange(X), indexing="ij")
base = (z * 31 + y * 7 + x * 3)

with h5py.File("h5py-dtypes.h5", "w") as f:
    f.create_dataset("uint8_gzip", data=(base % 251).astype(np.uint8), chunks=(2, 16, 16), compression="gzip", compression_opts=4)
    f.create_dataset("uint16_gzip", data=(base * 17 % 65521).astype(np.uint16), chunks=(1, 32, 8), compression="gzip", shuffle=True)
    f.create_dataset("int32_plain", data=(base - 500).astype(np.int32))
    f.create_dataset("float32_gzip", data=(base / 8.0).astype(np.float32), chunks=(5, 8, 8), compression="gzip")
    f.create_dataset("float16", data=(base % 64 / 4.0).astype(np.float16), chunks=True)
    f.create_dataset("float64", data=(base / 2.0).astype(np.float64))
    f.create_dataset("int64_labels", data=(base % 7).astype(np.int64))
    g = f.create_group("labels")
    d = g.create_dataset("truth", data=(base % 7).astype(np.uint8), chunks=(1, 32, 40), compression="gzip")
    d.attrs["role"] = "truth"
    bad = g.create_dataset("bad", data=(base % 9).astype(np.uint8))
    bad.attrs["role"] = "annotator"
    f.create_dataset("ilastik_zyxc", data=(base % 251).astype(np.uint8)[..., None], chunks=(1, 16, 16, 1), compression="gzip")
    f.create_dataset("leading_singleton", data=(base % 251).astype(np.uint8)[None], compression="gzip")
    f.create_dataset("strings", data=np.array([b"a", b"b"]))
    f.create_dataset("vector", data=np.arange(10, dtype=np.uint8))
    f.create_dataset("four_d", data=np.zeros((2, 3, 4, 5), dtype=np.uint8))
    img = f.create_dataset("image", data=(base % 251).astype(np.uint8))
    img.attrs["resolution_nm"] = np.array([50.0, 20.0, 20.0])

tifffile.imwrite("tifffile-uint8.tif", (base % 251).astype(np.uint8))
tifffile.imwrite("tifffile-uint16.tif", (base * 17 % 65521).astype(np.uint16))
