"""Writes h5py-huge.h5: datasets whose headers matter more than their data.

Run from this folder: python3 make_huge_fixture.py   (needs numpy and h5py)
- /image and /labels/truth, /labels/annotator-1 are declared 100000×100000×100000 (1e15 voxels,
  chunked) but never written: the file stays a few kilobytes, so readers must refuse to load
  them whole rather than try.
- /uncountable is declared 2^40 × 2^40 × 2^40 (chunked, never written): more voxels than
  a 64-bit count holds.
- /empty is 0×32×32 (a zero dimension).
- /nan_image is 2×4×4 float32 holding one NaN; /inf_image the same with one +infinity.
"""
import numpy as np
import h5py

huge = (100000, 100000, 100000)
with h5py.File("h5py-huge.h5", "w") as f:
    f.create_dataset("image", shape=huge, dtype=np.uint8, chunks=(1, 256, 256), compression="gzip")
    for name, role in [("truth", "truth"), ("annotator-1", "annotator")]:
        d = f.create_dataset("labels/" + name, shape=huge, dtype=np.uint8, chunks=(1, 256, 256), compression="gzip")
        d.attrs["role"] = role
    f.create_dataset("uncountable", shape=(2**40, 2**40, 2**40), dtype=np.uint8, chunks=(1, 1024, 1024))
    f.create_dataset("empty", shape=(0, 32, 32), dtype=np.uint8)
    nan = np.arange(32, dtype=np.float32).reshape(2, 4, 4)
    nan[1, 2, 3] = np.nan
    f.create_dataset("nan_image", data=nan)
    inf = np.arange(32, dtype=np.float32).reshape(2, 4, 4)
    inf[0, 1, 1] = np.inf
    f.create_dataset("inf_image", data=inf)
