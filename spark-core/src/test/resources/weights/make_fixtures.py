"""Writes the weight files the tests read, with NumPy (independent of the Java reader).

Run from this folder: python3 make_fixtures.py (NumPy needed; the outputs are committed).
The .safetensors file is written by hand from the format's definition: an 8-byte little-endian
header length, a JSON header, then the raw little-endian data.
"""
import json
import struct

import numpy as np

VALUES = [-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0]  # exact in float16, bfloat16, float32, float64

np.save("ln_f32.npy", np.array(VALUES, dtype="<f4"))
np.save("ln_f16.npy", np.array(VALUES + [2.0 ** -20], dtype="<f2"))  # 2^-20: a float16 subnormal
np.save("ln_f64_big_endian.npy", np.array(VALUES, dtype=">f8"))
np.save("ln_2d.npy", np.array(VALUES, dtype="<f8").reshape(2, 4))
np.save("ln_fortran_2d.npy", np.asfortranarray(np.array(VALUES, dtype="<f8").reshape(2, 4)))
np.save("ln_int32.npy", np.arange(8, dtype="<i4"))


def bfloat16_bytes(values):
    as_f32 = np.array(values, dtype="<f4")
    return (as_f32.view("<u4") >> 16).astype("<u2").tobytes()


tensors = {
    "ln.weight": ("F32", [8], np.array(VALUES, dtype="<f4").tobytes()),
    "ln.bias": ("F16", [8], np.array(VALUES, dtype="<f2").tobytes()),
    "ln.bf16": ("BF16", [2, 4], bfloat16_bytes(VALUES)),
    "ln.f64": ("F64", [8], np.array(VALUES, dtype="<f8").tobytes()),
    "counts": ("I32", [8], np.arange(8, dtype="<i4").tobytes()),
}
header = {"__metadata__": {"format": "pt"}}
data = b""
for name, (dtype, shape, raw) in tensors.items():
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
header_bytes = json.dumps(header).encode("utf-8")
with open("model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(header_bytes)))
    f.write(header_bytes)
    f.write(data)

single = {"weight": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}
single_bytes = json.dumps(single).encode("utf-8")
with open("single.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(single_bytes)))
    f.write(single_bytes)
    f.write(np.array(VALUES, dtype="<f4").tobytes())

# A sharded checkpoint as Hugging Face writes it: shards beside an index whose weight_map says which
# shard holds each tensor.
shards = {
    "model-00001-of-00002.safetensors": {"encoder.ln.weight": np.array(VALUES, dtype="<f4")},
    "model-00002-of-00002.safetensors": {"encoder.ln.bias": np.array(VALUES[::-1], dtype="<f8")},
}
weight_map = {}
for shard, shard_tensors in shards.items():
    shard_header = {}
    shard_data = b""
    for name, array in shard_tensors.items():
        dtype = {"<f4": "F32", "<f8": "F64"}[array.dtype.str]
        raw = array.tobytes()
        shard_header[name] = {"dtype": dtype, "shape": list(array.shape),
                              "data_offsets": [len(shard_data), len(shard_data) + len(raw)]}
        shard_data += raw
        weight_map[name] = shard
    shard_bytes = json.dumps(shard_header).encode("utf-8")
    with open("sharded/" + shard, "wb") as f:
        f.write(struct.pack("<Q", len(shard_bytes)))
        f.write(shard_bytes)
        f.write(shard_data)
with open("sharded/model.safetensors.index.json", "w") as f:
    json.dump({"metadata": {"total_size": 96}, "weight_map": weight_map}, f, indent=2)
