"""Reads an OME-Zarr store written by `densecell convert` with zarr-python and ome-zarr-py, and
checks it against what the test expects (a JSON file naming raw level-0 volumes and the metadata):
every voxel of level 0, every coarser level against numpy's own 2x2 mean (images) or mode (labels,
ties to the smallest value), the axes and scales, the labels group, image-label colors and each
label image's role. Prints one line per failure and exits 1 when anything differs.

Usage: check-ome-zarr.py STORE EXPECTED.json
"""
import json
import sys

import numpy as np
import zarr
from ome_zarr.io import parse_url
from ome_zarr.reader import Label, Reader

store, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path) as f:
    want = json.load(f)
shape = tuple(want["shape"])
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def load(entry):
    return np.fromfile(entry["file"], dtype=entry["dtype"]).reshape(shape)


def blocks(a):
    """The 2x2 blocks of each plane as (z, h', w', 4) with a validity mask (edge blocks are partial)."""
    z, h, w = a.shape
    oh, ow = (h + 1) // 2, (w + 1) // 2
    padded = np.zeros((z, 2 * oh, 2 * ow), dtype=np.float64)
    valid = np.zeros((z, 2 * oh, 2 * ow), dtype=bool)
    padded[:, :h, :w] = a
    valid[:, :h, :w] = True
    def split(x):
        return x.reshape(z, oh, 2, ow, 2).transpose(0, 1, 3, 2, 4).reshape(z, oh, ow, 4)
    return split(padded), split(valid)


def mean2(a):
    values, valid = blocks(a)
    means = (values * valid).sum(-1) / valid.sum(-1)
    return means


def mode2(a):
    values, valid = blocks(a)
    best_score = np.full(values.shape[:3], -np.inf)
    best = np.zeros(values.shape[:3])
    for k in range(4):
        candidate = values[..., k]
        count = ((values == candidate[..., None]) & valid).sum(-1)
        score = np.where(valid[..., k], count * 1024.0 - candidate, -np.inf)
        better = score > best_score
        best = np.where(better, candidate, best)
        best_score = np.maximum(score, best_score)
    return best


root = zarr.open_group(store, mode="r")
check(root.metadata.zarr_format == want["zarr_format"], f"zarr_format {root.metadata.zarr_format}, not {want['zarr_format']}")


def check_levels(prefix, level0, reduce, rounding, what):
    current = level0.astype(np.float64)
    for level in range(want["levels"]):
        array = root[f"{prefix}{level}"]
        if level == 0:
            expected = current
        else:
            current = reduce(current)
            expected = rounding(current)
        data = array[...]
        check(data.shape == expected.shape, f"{what} level {level}: shape {data.shape}, not {expected.shape}")
        if data.shape == expected.shape:
            check(np.array_equal(data.astype(np.float64), expected), f"{what} level {level}: values differ")
        if want.get("shard") and level == 0:
            check(array.shards is not None, f"{what}: not sharded")
    check(f"{prefix}{want['levels']}" not in root, f"{what}: more than {want['levels']} levels")


# Images round halves away from zero, as densecell does.
check_levels("", load(want["image"]), mean2, lambda m: np.floor(m + 0.5), "image")
for name, entry in want["labels"].items():
    check_levels(f"labels/{name}/", load(entry), mode2, lambda m: m, f"labels {name}")
    check(root[f"labels/{name}"].attrs.get("role") == entry["role"], f"labels {name}: role {root[f'labels/{name}'].attrs.get('role')}")

# ome-zarr-py: the image with its levels, axes and scale; every label image with its colors.
nodes = list(Reader(parse_url(store))())
image = nodes[0]
check(len(image.data) == want["levels"], f"ome-zarr: {len(image.data)} image levels")
axes = image.metadata.get("axes", [])
check([a["name"] for a in axes] == ["z", "y", "x"], f"ome-zarr: axes {axes}")
check(all(a.get("unit") == "nanometer" for a in axes), f"ome-zarr: units {axes}")
scales = [t[0]["scale"] for t in image.metadata["coordinateTransformations"]]
r = want["resolution"]
check(scales == [[r[0], r[1] * 2 ** l, r[2] * 2 ** l] for l in range(want["levels"])], f"ome-zarr: scales {scales}")
check(np.array_equal(np.asarray(image.data[0]), load(want["image"])), "ome-zarr: image level 0 differs")
labels = {n.metadata.get("name"): n for n in nodes if any(isinstance(s, Label) for s in n.specs)}
check(sorted(labels) == sorted(want["labels"]), f"ome-zarr: label images {sorted(labels)}")
for name, node in labels.items():
    if name not in want["labels"]:
        continue
    check(np.array_equal(np.asarray(node.data[0]), load(want["labels"][name])), f"ome-zarr: labels {name} level 0 differ")
    colors = {int(k): [round(c * 255) for c in v] for k, v in node.metadata.get("color", {}).items()}
    check(colors == {int(k): v + [255] for k, v in want["colors"].items()}, f"ome-zarr: labels {name} colors {colors}")

for line in failures:
    print(line)
print("ok" if not failures else f"{len(failures)} failures")
sys.exit(1 if failures else 0)
