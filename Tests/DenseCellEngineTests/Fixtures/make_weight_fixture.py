"""Reference loss weights computed with scipy, independently of densecell.

Run from this folder: python3 make_weight_fixture.py   (needs numpy, scipy, h5py)
W = 0.01 + W_cb + W_ep, with W_ep the rectified sum of the four diffusion terms of the paper.
"""
import numpy as np
import h5py
from scipy.ndimage import gaussian_filter

rng = np.random.default_rng(7)
Z, Y, X = 2, 48, 56
labels = np.zeros((Z, Y, X), np.uint8)
yy, xx = np.mgrid[0:Y, 0:X]
for z in range(Z):
    cell = (yy - 24) ** 2 / 18 ** 2 + (xx - 28 - 3 * z) ** 2 / 22 ** 2 < 1
    labels[z][cell] = 1
    for cls, (cy, cx, r) in zip([2, 4, 5, 6], [(18, 20, 5), (30, 36, 4), (24, 26, 3), (24, 27, 1)]):
        labels[z][(yy - cy - z) ** 2 + (xx - cx) ** 2 < r * r] = cls

counts = np.bincount(labels.ravel(), minlength=7).astype(float)
inv = np.where(counts > 0, 1 / np.maximum(counts, 1), 0)
cb = inv / inv.max()

def ep(slice_):
    bkgd, cell, org = {0}, {1}, {2, 3, 4, 5, 6}
    total = np.zeros(slice_.shape)
    for src, tgt in [(bkgd, cell), (cell, bkgd), (org, cell), (cell, org)]:
        ind = np.isin(slice_, list(src)).astype(float)
        m = 0.882 * gaussian_filter(ind, 6, mode="reflect", truncate=4.0)
        total += np.where(np.isin(slice_, list(tgt)), m, 0)
    top = total.max()
    return np.maximum(total - 0.25, 0) * top / (top - 0.25)

weights = 0.01 + cb[labels] + np.stack([ep(labels[z]) for z in range(Z)])
with h5py.File("loss-weights.h5", "w") as f:
    f["labels"] = labels
    f["weights"] = weights.astype(np.float32)
    f["class_balancing"] = cb.astype(np.float32)
