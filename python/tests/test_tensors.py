"""read_tensor: the Java TensorFiles' files, dtypes and refusals, in pure Python (no Spark needed)."""
import json
import os
import random
import struct

import numpy as np
import pytest

from sparklayernorm import read_tensor

from conftest import WEIGHTS

VALUES = [-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 1.5, 2.0]


def fixture(name):
    return os.path.join(WEIGHTS, name)


def test_npy_float32_float16_and_big_endian_float64():
    assert read_tensor(fixture("ln_f32.npy")).tolist() == VALUES
    half = read_tensor(fixture("ln_f16.npy"))
    assert half[:8].tolist() == VALUES and half[8] == 2.0 ** -20
    assert read_tensor(fixture("ln_f64_big_endian.npy")).tolist() == VALUES
    assert read_tensor(fixture("ln_f32.npy")).dtype == np.float64


def test_every_safetensors_float_type_and_the_only_tensor():
    for name in ("ln.weight", "ln.bias", "ln.bf16", "ln.f64"):
        assert read_tensor(fixture("model.safetensors"), name).tolist() == VALUES, name
    assert read_tensor(fixture("model.safetensors") + ":ln.bf16").tolist() == VALUES
    assert read_tensor(fixture("single.safetensors")).tolist() == VALUES
    assert read_tensor(fixture("ln_2d.npy")).tolist() == VALUES


def test_a_sharded_checkpoint_through_its_index():
    index = fixture("sharded/model.safetensors.index.json")
    assert read_tensor(index, "encoder.ln.weight").tolist() == VALUES
    assert read_tensor(index + ":encoder.ln.bias").tolist() == VALUES[::-1]
    with pytest.raises(ValueError, match="maps no tensor 'nope'"):
        read_tensor(index, "nope")
    with pytest.raises(ValueError, match="name the tensor"):
        read_tensor(index)


def test_refusals_name_the_file_and_the_problem(tmp_path):
    with pytest.raises(ValueError, match="has dtype I32; weights must be F16, BF16, F32 or F64"):
        read_tensor(fixture("model.safetensors"), "counts")
    with pytest.raises(ValueError, match="dtype '<i4' is not supported"):
        read_tensor(fixture("ln_int32.npy"))
    with pytest.raises(ValueError, match="Fortran-ordered"):
        read_tensor(fixture("ln_fortran_2d.npy"))
    with pytest.raises(ValueError, match=r"holds 5 tensors .*PATH.safetensors:NAME"):
        read_tensor(fixture("model.safetensors"))
    with pytest.raises(ValueError, match="has no tensor 'ln.gamma'"):
        read_tensor(fixture("model.safetensors"), "ln.gamma")
    text = tmp_path / "weights.txt"
    text.write_text("1,2,3")
    with pytest.raises(ValueError, match="neither .safetensors, .safetensors.index.json nor .npy"):
        read_tensor(str(text))


def safetensors(path, header, data_bytes):
    raw = json.dumps(header).encode() if not isinstance(header, str) else header.encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + bytes(data_bytes))
    return str(path)


def npy(path, header, data_bytes):
    raw = header.encode("latin-1")
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw + bytes(data_bytes))
    return str(path)


def test_lying_sizes_are_refused(tmp_path):
    overflow = safetensors(tmp_path / "o.safetensors",
                           '{"w":{"dtype":"F32","shape":[4611686018427387905,4],"data_offsets":[0,16]}}', 16)
    with pytest.raises(ValueError, match="overflows"):
        read_tensor(overflow, "w")
    for entry in ('"shape":[-2,-2],"data_offsets":[0,16]', '"shape":[4],"data_offsets":[-16,0]',
                  '"shape":[4],"data_offsets":[0,16.5]', '"shape":[2.5],"data_offsets":[0,16]'):
        bad = safetensors(tmp_path / "b.safetensors", '{"w":{"dtype":"F32",%s}}' % entry, 16)
        with pytest.raises(ValueError, match="bad shape|bad data_offsets"):
            read_tensor(bad, "w")
    mismatch = safetensors(tmp_path / "m.safetensors", {"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, 8)
    with pytest.raises(ValueError, match=r"has shape \[3\] of F32 but 8 bytes of data"):
        read_tensor(mismatch, "w")
    for shape in ("(-2, -4)", "(2, -4)", "(99999999999999999999,)", "(2.0,)"):
        bad = npy(tmp_path / "b.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape, 32)
        with pytest.raises(ValueError, match="not a tuple of whole numbers|overflows"):
            read_tensor(bad)
    ok = npy(tmp_path / "ok.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }", 32)
    assert read_tensor(ok).tolist() == [0.0] * 8


def test_an_index_may_only_point_at_shards_beside_it(tmp_path):
    index = tmp_path / "evil.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": {"w": "../../etc/secret.safetensors"}}))
    with pytest.raises(ValueError, match="not to a .safetensors file beside the index"):
        read_tensor(str(index), "w")


def test_a_tensor_at_the_end_of_a_huge_sparse_file_is_read_by_seeking(tmp_path):
    padding = 8 * 2 ** 30
    header = json.dumps({"pad": {"dtype": "U8", "shape": [padding], "data_offsets": [0, padding]},
                         "w": {"dtype": "F32", "shape": [2], "data_offsets": [padding, padding + 8]}}).encode()
    path = tmp_path / "huge.safetensors"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        f.seek(8 + len(header) + padding)
        f.write(struct.pack("<2f", 0.5, -3.0))
    assert read_tensor(str(path), "w").tolist() == [0.5, -3.0]


@pytest.mark.parametrize("seed", range(300))
def test_mutated_files_are_read_or_refused_by_name(tmp_path, seed):
    rng = random.Random(seed)
    name = rng.choice(["model.safetensors", "single.safetensors", "ln_f32.npy", "ln_f16.npy", "ln_2d.npy"])
    data = bytearray(open(fixture(name), "rb").read())
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(3)
        if kind == 0 and data:
            del data[rng.randrange(len(data)):]
        elif kind == 1 and data:
            data[rng.randrange(min(len(data), 160))] = rng.randrange(256)
        elif len(data) >= 12:
            data[0:8] = struct.pack("<q", rng.choice([-1, 2 ** 63 - 1, rng.randrange(len(data) + 64)]))
    path = tmp_path / ("f" + name[name.rfind("."):])
    path.write_bytes(bytes(data))
    try:
        values = read_tensor(str(path), rng.choice([None, "ln.weight", "weight", "ln.bf16"]))
        assert len(values) <= len(data)
    except ValueError as e:
        assert str(path) in str(e), str(e)


def _corpus():
    with open(fixture("header-corpus.json"), encoding="utf-8") as f:
        return json.load(f)["cases"]


@pytest.mark.parametrize("case", _corpus(), ids=lambda c: c["case"])
def test_the_java_reader_and_this_one_read_or_refuse_the_same_headers(tmp_path, case):
    # The corpus TensorFilesCorpusTest runs through the Java reader: the same verdicts, the same words.
    path = safetensors(tmp_path / "case.safetensors", case["header"], case["data"])
    if case["expect"] == "read":
        read_tensor(path, case["tensor"])
    else:
        with pytest.raises(ValueError) as refused:
            read_tensor(path, case["tensor"])
        assert str(refused.value).startswith(path) and case["says"] in str(refused.value), str(refused.value)


def test_an_index_that_never_ends_is_refused_after_a_bounded_read(tmp_path):
    index = tmp_path / "model.safetensors.index.json"
    os.symlink("/dev/zero", index)
    with pytest.raises(ValueError, match="is not a safetensors index"):
        read_tensor(str(index), "w")


def test_a_tensor_larger_than_a_scale_can_be_is_refused_by_name_and_shape_before_its_data_is_read(tmp_path):
    path = tmp_path / "embedding.safetensors"
    header = json.dumps({"wte.weight": {"dtype": "F32", "shape": [50257, 768],
                                        "data_offsets": [0, 4 * 50257 * 768]}}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        f.truncate(8 + len(header) + 4 * 50257 * 768)  # sparse: nothing of it is read
    with pytest.raises(ValueError, match=r"tensor 'wte.weight' of shape \[50257,768\] has 38597376 values, too many"):
        read_tensor(str(path), "wte.weight")
