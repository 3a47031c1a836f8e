"""Writes zarr-fixtures/: Zarr v2 and v3 arrays (every codec, dtype and order densecell reads,
sharded, with missing and edge chunks) written by zarr-python, an OME-Zarr image with a labels
group written by ome-zarr-py, and N5 datasets written by tensorstore — so the readers are tested on
stores made by the libraries users write with.

    python3 -m venv venv && venv/bin/pip install "zarr>=3" ome-zarr tensorstore numcodecs
    venv/bin/python make_zarr_fixtures.py

Every array holds base(z, y, x) = z*31 + y*7 + x*3 reduced to its type (see VALUES), shape
5x32x40 with chunks 2x16x16, so z and x have partial edge chunks. Arrays named `sparse_*` hold
values only in z 0..2, y 0..16 (the other chunks were never written: they read as the fill value).
"""
import os
import shutil

import numcodecs
import numpy as np
import tensorstore as ts
import zarr
from zarr.codecs import BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, ShardingCodec, TransposeCodec, ZstdCodec

OUT = "zarr-fixtures"
shutil.rmtree(OUT, ignore_errors=True)
os.makedirs(OUT)
z, y, x = np.meshgrid(np.arange(5), np.arange(32), np.arange(40), indexing="ij")
base = z * 31 + y * 7 + x * 3
VALUES = {
    "u1": (base % 251).astype(np.uint8),
    "u2": (base * 17 % 65521).astype(np.uint16),
    "i4": (base * 1000 - 500000).astype(np.int32),
    "u4": (base * 100000).astype(np.uint32),
    "i8": (base.astype(np.int64) * 10**12 - 7),
    "u8": (base.astype(np.uint64) * 10**12),
    "f4": (base / 8.0 - 100).astype(np.float32),
    "f8": (base / 3.0 - 100).astype(np.float64),
}

def v2(name, data, compressor, order="C", separator=".", fill=0, sparse=False, dtype=None):
    a = zarr.create_array(f"{OUT}/{name}", shape=data.shape, chunks=(2, 16, 16), dtype=dtype or data.dtype, zarr_format=2,
                          compressors=compressor, order=order, chunk_key_encoding={"name": "v2", "separator": separator},
                          fill_value=fill)
    if sparse:
        a[0:2, 0:16, :] = data[0:2, 0:16, :]
    else:
        a[:] = data

# Zarr v2: each compressor (uint16), each dtype and byte order (zstd), order F, "/" keys, NaN fill.
compressors = {
    "none": None, "blosc_lz4": numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE),
    "blosc_lz4hc": numcodecs.Blosc("lz4hc", 5, numcodecs.Blosc.SHUFFLE),
    "blosc_zstd": numcodecs.Blosc("zstd", 3, numcodecs.Blosc.BITSHUFFLE), "blosc_zlib": numcodecs.Blosc("zlib", 5, numcodecs.Blosc.NOSHUFFLE),
    "blosc_blosclz": numcodecs.Blosc("blosclz", 5), "zstd": numcodecs.Zstd(3), "gzip": numcodecs.GZip(5), "zlib": numcodecs.Zlib(5),
    "lz4": numcodecs.LZ4(), "bz2": numcodecs.BZ2(), "lzma": numcodecs.LZMA(),
}
for cname, c in compressors.items():
    v2(f"v2_{cname}_u2", VALUES["u2"], c)
for code, data in VALUES.items():
    v2(f"v2_dtype_{code}", data, numcodecs.Zstd(3), dtype="<" + code if code != "u1" else "|u1")
v2("v2_zstd_be_u2", VALUES["u2"], numcodecs.Zstd(3), dtype=">u2")
v2("v2_zstd_be_f4", VALUES["f4"], numcodecs.Zstd(3), dtype=">f4")
v2("v2_gzip_F_u2", VALUES["u2"], numcodecs.GZip(5), order="F")
v2("v2_slash_u1", VALUES["u1"], numcodecs.Zstd(3), separator="/")
v2("v2_sparse_f4", VALUES["f4"], numcodecs.Zstd(3), fill="NaN", sparse=True)

def v3(name, data, **options):
    sparse = options.pop("sparse", False)
    a = zarr.create_array(f"{OUT}/{name}", shape=data.shape, dtype=data.dtype, zarr_format=3, **options)
    if sparse:
        a[0:2, 0:16, :] = data[0:2, 0:16, :]
    else:
        a[:] = data

# Zarr v3: each codec, byte order, transpose, the v2 key encoding, and sharding with its index at
# the end or the start, with a checksummed index, and a shard with inner chunks never written.
v3("v3_none_u2", VALUES["u2"], chunks=(2, 16, 16), compressors=None)
v3("v3_gzip_u2", VALUES["u2"], chunks=(2, 16, 16), compressors=GzipCodec(level=5))
v3("v3_zstd_f4", VALUES["f4"], chunks=(2, 16, 16), compressors=ZstdCodec(level=3))
v3("v3_blosc_u2", VALUES["u2"], chunks=(2, 16, 16), compressors=BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"))
v3("v3_crc32c_u1", VALUES["u1"], chunks=(2, 16, 16), compressors=[ZstdCodec(level=3), Crc32cCodec()])
v3("v3_big_endian_i4", VALUES["i4"], chunks=(2, 16, 16), serializer=BytesCodec(endian="big"), compressors=ZstdCodec(level=1))
v3("v3_transpose_u2", VALUES["u2"], chunks=(2, 16, 16), filters=[TransposeCodec(order=(2, 0, 1))], compressors=GzipCodec())
v3("v3_v2keys_u1", VALUES["u1"], chunks=(2, 16, 16), chunk_key_encoding={"name": "v2", "separator": "."}, compressors=ZstdCodec())
v3("v3_sharded_u2", VALUES["u2"], shards=(4, 32, 32), chunks=(2, 16, 16), compressors=ZstdCodec(level=3))
v3("v3_sharded_f8", VALUES["f8"], shards=(4, 32, 32), chunks=(2, 16, 16), compressors=BloscCodec(cname="zstd"))
v3("v3_sparse_sharded_u1", VALUES["u1"], shards=(4, 32, 32), chunks=(2, 16, 16), compressors=ZstdCodec(), fill_value=7, sparse=True)
zarr.create_array(f"{OUT}/v3_index_start_u2", shape=(5, 32, 40), dtype="uint16", zarr_format=3,
                  serializer=ShardingCodec(chunk_shape=(2, 16, 16), codecs=[BytesCodec(), GzipCodec()],
                                           index_codecs=[BytesCodec(), Crc32cCodec()], index_location="start"),
                  compressors=None, chunks=(4, 32, 32))[:] = VALUES["u2"]

# OME-Zarr by ome-zarr-py: a czyx image (one channel) with a pyramid and a labels group.
from ome_zarr.io import parse_url
from ome_zarr.writer import write_image, write_labels
for version in ["0.4", "0.5"]:
    path = f"{OUT}/ome-{version}.ome.zarr"
    from ome_zarr.format import FormatV04, FormatV05
    fmt = FormatV04() if version == "0.4" else FormatV05()
    root = zarr.open_group(path, mode="w", zarr_format=2 if version == "0.4" else 3)
    image = VALUES["u1"][np.newaxis]
    write_image(image, root, axes="czyx", scale_factors=[2], method="nearest", fmt=fmt,
                scale={"z": 0.05, "y": 0.02, "x": 0.02}, axes_units={"z": "micrometer", "y": "micrometer", "x": "micrometer"},
                storage_options={"chunks": (1, 2, 16, 16)})
    labels = (base % 7).astype(np.uint8)
    write_labels(labels, root, name="truth", axes="zyx", fmt=fmt, scale_factors=[2],
                 label_metadata={"colors": [{"label-value": 2, "rgba": [59, 170, 92, 255]}]},
                 storage_options={"chunks": (2, 16, 16)})
    write_labels(((base + 1) % 7).astype(np.uint8), root, name="annotator-1", axes="zyx", fmt=fmt, scale_factors=[2],
                 storage_options={"chunks": (2, 16, 16)})

# N5 by tensorstore: each compression, big-endian data, truncated edge blocks.
for compression in [{"type": "raw"}, {"type": "gzip"}, {"type": "bzip2"}, {"type": "xz"}, {"type": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1}]:
    for code, dtype in [("u2", "uint16"), ("f4", "float32")]:
        store = ts.open({"driver": "n5", "kvstore": {"driver": "file", "path": f"{OUT}/data.n5/{compression['type']}/{code}"},
                         "metadata": {"dimensions": [40, 32, 5], "blockSize": [16, 16, 2], "dataType": dtype, "compression": compression}},
                        create=True).result()
        store[...] = VALUES[code].transpose(2, 1, 0)
# an N5 multiscale group: s0 and s1
for level, factor in [("s0", 1), ("s1", 2)]:
    data = VALUES["u1"][:, ::factor, ::factor]
    store = ts.open({"driver": "n5", "kvstore": {"driver": "file", "path": f"{OUT}/data.n5/multiscale/{level}"},
                     "metadata": {"dimensions": list(data.shape[::-1]), "blockSize": [16, 16, 2], "dataType": "uint8",
                                  "compression": {"type": "gzip"}}}, create=True).result()
    store[...] = data.transpose(2, 1, 0)
with open(f"{OUT}/data.n5/multiscale/attributes.json", "w") as f:
    f.write('{"multiScale": true, "downsamplingFactors": [[1, 1, 1], [2, 2, 1]]}')

# Two sparse label volumes of the platelet schema (fill 0 and 1), most chunks never written: passes
# must count those chunks without reading them.
rng = np.random.default_rng(3)
for name, fill, region in [("sparse_labels_a", 0, (slice(0, 2), slice(0, 128), slice(64, 192))),
                           ("sparse_labels_b", 1, (slice(0, 4), slice(64, 192), slice(64, 128)))]:
    a = zarr.create_array(f"{OUT}/{name}", shape=(6, 600, 600), chunks=(2, 64, 64), dtype="uint8", zarr_format=3,
                          compressors=ZstdCodec(), fill_value=fill)
    shape = tuple(s.stop - s.start for s in region)
    a[region] = rng.integers(0, 7, size=shape, dtype=np.uint8)
