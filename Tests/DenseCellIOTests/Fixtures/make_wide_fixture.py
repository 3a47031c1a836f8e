"""Writes h5py-wide.h5: wide integer and double datasets whose values int32/float32 cannot hold.

Run from this folder: python3 make_wide_fixture.py   (needs numpy and h5py)
Each dataset is shape (2, 3, 4) = 24 values: the edge cases listed first, then i * 1000003 + offset,
so the Swift tests can write the same list down.
"""
import numpy as np
import h5py

def values(edges, offset, dtype):
    rest = [i * 1000003 + offset for i in range(24 - len(edges))]
    return np.array(edges + rest, dtype=dtype).reshape(2, 3, 4)

with h5py.File("h5py-wide.h5", "w") as f:
    f.create_dataset("int64", data=values(
        [2**31, -2**31 - 1, 2**53 + 1, 2**62, 2**63 - 1, -2**63], 2**40, np.int64), chunks=(1, 3, 4), compression="gzip")
    f.create_dataset("uint32", data=values([2**31, 2**32 - 1, 0], 2**31, np.uint32))
    f.create_dataset("uint64", data=values([2**63 - 1, 2**53 + 1, 2**32], 2**33, np.uint64))
    f.create_dataset("uint64_huge", data=values([2**63, 2**64 - 1], 0, np.uint64))
    f.create_dataset("int64_small", data=values([-2**31, 2**31 - 1], -7, np.int64))
    f.create_dataset("float64", data=values([2.0**53, 2.0**53 + 2, 0.1, 1e300, -1e-300, 2.0**-1074], 0.5, np.float64),
                     chunks=(2, 3, 4), compression="gzip", shuffle=True)
