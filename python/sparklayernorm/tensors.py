"""Weights from trained models, in pure Python (numpy): the same files, dtypes and refusals as the
Java ``io.github.sparklayernorm.weights.TensorFiles``, so that it works on a Spark Connect client.

Only the header and the one tensor are read (a seek), so a checkpoint of many GB costs the memory
of the tensor. Sizes from the file are checked in exact (Python integer) arithmetic: a truncated
file, a shape that overflows, is negative or does not match the data, an unknown dtype or a missing
tensor is a ``ValueError`` that names the file and the problem.
"""
import json
import os
import re

import numpy as np

_MAX_HEADER = 100 * 1024 * 1024
_MAX_INDEX = 64 * 1024 * 1024
# The deepest a header's JSON may nest (TensorFiles.MAX_NESTING): real ones nest 3 levels.
_MAX_NESTING = 64
# The most values a scale or shift may have: one per value of the longest row (TensorFiles.MAX_VALUES).
_MAX_VALUES = 1 << 24
_LONG_MAX = 2 ** 63 - 1
_SAFETENSORS = ".safetensors"
_INDEX = ".safetensors.index.json"
_WIDTH = {"F16": 2, "BF16": 2, "F32": 4, "F64": 8}


def read_tensor(path, name=None):
    """A tensor as a flat float64 numpy array (row-major), exactly converted.

    :param path: a ``.safetensors`` file, a sharded checkpoint's ``.safetensors.index.json``, or a
        ``.npy`` file; or ``"PATH.safetensors:NAME"`` / ``"INDEX.safetensors.index.json:NAME"``
    :param name: the tensor, in a .safetensors file (may be left out when it holds one) or an index
    """
    path = os.fspath(path)
    if name is None:
        lower = path.lower()
        for suffix in (_INDEX + ":", _SAFETENSORS + ":"):
            at = lower.rfind(suffix)
            if at >= 0:
                colon = at + len(suffix) - 1
                path, name = path[:colon], path[colon + 1:]
                break
    lower = os.path.basename(path).lower()
    if lower.endswith(_INDEX):
        return _read_sharded(path, name)
    if not (lower.endswith(".npy") or lower.endswith(_SAFETENSORS)):
        raise ValueError("weights file %s is neither .safetensors, .safetensors.index.json nor .npy" % path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if lower.endswith(".npy"):
                return _read_npy(path, f, size)
            return _read_safetensors(path, f, size, name)
    except OSError as e:
        raise ValueError("cannot read weights file %s: %s" % (path, e)) from e


def _refuse(path, problem):
    return ValueError("%s: %s" % (path, problem))


def _read_exactly(path, f, position, length):
    f.seek(position)
    data = f.read(length)
    if len(data) != length:
        raise _refuse(path, "ended while reading it (changed on disk?)")
    return data


def _read_sharded(path, name):
    if not name:
        raise ValueError("%s is the index of a sharded checkpoint; name the tensor to use"
                         " (PATH.safetensors.index.json:NAME)" % path)
    try:
        with open(path, "rb") as f:
            # Read with a bound, not by the size the file claims: a device or a pipe claims 0.
            data = f.read(_MAX_INDEX + 1)
        if len(data) > _MAX_INDEX:
            raise _refuse(path, "an index of more than %d bytes is not a safetensors index (at most %d)"
                          % (_MAX_INDEX, _MAX_INDEX))
        text = data.decode("utf-8")
        if _nesting(text) > _MAX_NESTING:
            raise _refuse(path, "the index nests deeper than %d levels" % _MAX_NESTING)
        index = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError("cannot read weights index %s: %s" % (path, e)) from e
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict):
        raise _refuse(path, 'not a safetensors index (no "weight_map" object)')
    if name not in weight_map:
        raise ValueError("%s maps no tensor '%s'; it maps %d tensors, such as %s"
                         % (path, name, len(weight_map), list(weight_map)[:10]))
    shard = weight_map[name]
    if (not isinstance(shard, str) or os.path.isabs(shard) or os.path.basename(shard) != shard
            or shard in ("", ".", "..") or not shard.lower().endswith(_SAFETENSORS)):
        raise _refuse(path, "tensor '%s' maps to %r, not to a .safetensors file beside the index" % (name, shard))
    return read_tensor(os.path.join(os.path.dirname(os.path.abspath(path)), shard), name)


def _nesting(text):
    """How deep brackets and braces nest in a JSON text, outside its strings."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def _require_contiguous(path, spans, data_bytes):
    """The tensors' data ranges, in order, tile the data section exactly (the reference reader's rule)."""
    end = 0
    for name, (begin, stop) in sorted(spans, key=lambda s: (s[1][0], s[1][1])):
        if begin != end:
            raise _refuse(path, "tensor '%s' has data_offsets [%d, %d], but the data before it ends at %d: data"
                                " ranges that overlap or leave a hole" % (name, begin, stop, end))
        end = stop
    if end != data_bytes:
        raise _refuse(path, "the tensors' data ends at byte %d of %d: trailing bytes after the last tensor"
                      % (end, data_bytes))


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _span(path, tensor, entry):
    offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
    if (not isinstance(offsets, list) or len(offsets) != 2 or not all(_whole(o) for o in offsets)
            or not all(0 <= o <= _LONG_MAX for o in offsets) or offsets[1] < offsets[0]):
        raise _refuse(path, "tensor '%s' has bad data_offsets %s (two whole numbers expected)" % (tensor, offsets))
    return offsets


def _count(path, what, dims, shape_text):
    count = 1
    for dim in dims:
        count *= dim
    if count > _LONG_MAX:
        raise _refuse(path, "%s has shape %s, whose number of values overflows" % (what, shape_text))
    return count


def _read_safetensors(path, f, size, name):
    if size < 8:
        raise _refuse(path, "truncated safetensors file (%d bytes)" % size)
    header_length = int.from_bytes(_read_exactly(path, f, 0, 8), "little")
    if header_length < 2 or header_length > _MAX_HEADER or header_length > size - 8:
        raise _refuse(path, "truncated or not a safetensors file (header of %d bytes in a file of %d)"
                      % (header_length, size))
    try:
        text = _read_exactly(path, f, 8, header_length).decode("utf-8")
        if _nesting(text) > _MAX_NESTING:
            raise _refuse(path, "the safetensors header nests deeper than %d levels" % _MAX_NESTING)
        header = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise _refuse(path, "the safetensors header is not valid JSON: %s" % e) from e
    if not isinstance(header, dict):
        raise _refuse(path, "the safetensors header is not a JSON object")
    data_start = 8 + header_length
    data_bytes = size - data_start
    names = [n for n in header if n != "__metadata__"]
    spans = []
    for n in names:
        begin, end = _span(path, n, header[n])
        if end > data_bytes:
            raise _refuse(path, "truncated safetensors file: tensor '%s' needs data bytes up to %d, the file has %d"
                          % (n, end, data_bytes))
        spans.append((n, (begin, end)))
    _require_contiguous(path, spans, data_bytes)
    if not name:
        if len(names) != 1:
            raise _refuse(path, "holds %d tensors %s; name the one to use (PATH.safetensors:NAME)"
                          % (len(names), names))
        name = names[0]
    entry = header.get(name)
    if entry is None or name == "__metadata__":
        raise _refuse(path, "has no tensor '%s'; it has %s" % (name, names))
    dtype = entry.get("dtype", "")
    if dtype not in _WIDTH:
        raise _refuse(path, "tensor '%s' has dtype %s; weights must be F16, BF16, F32 or F64" % (name, dtype))
    width = _WIDTH[dtype]
    shape = entry.get("shape")
    if not isinstance(shape, list):
        raise _refuse(path, "tensor '%s' has no shape" % name)
    if not all(_whole(d) and 0 <= d <= _LONG_MAX for d in shape):
        raise _refuse(path, "tensor '%s' has a bad shape %s (dimensions are whole numbers >= 0)"
                      % (name, json.dumps(shape)))
    count = _count(path, "tensor '%s'" % name, shape, json.dumps(shape, separators=(",", ":")))
    begin, end = _span(path, name, entry)
    if count * width != end - begin:
        raise _refuse(path, "tensor '%s' has shape %s of %s but %d bytes of data (%d per value)"
                      % (name, json.dumps(shape, separators=(",", ":")), dtype, end - begin, width))
    _check_values(path, "tensor '%s' of shape %s" % (name, json.dumps(shape, separators=(",", ":"))), count)
    raw = _read_exactly(path, f, data_start + begin, end - begin)
    return _decode(raw, dtype, "<")


def _check_values(path, what, count):
    if count > _MAX_VALUES:
        raise _refuse(path, "%s has %d values, too many for a scale or shift (at most %d, one per value of a row);"
                      " is it the layer norm's weight?" % (what, count, _MAX_VALUES))


def _decode(raw, dtype, order):
    if dtype == "BF16":
        halves = np.frombuffer(raw, dtype=order + "u2").astype(np.uint32) << 16
        return halves.view(np.float32).astype(np.float64)
    numpy_type = {"F16": "f2", "F32": "f4", "F64": "f8"}[dtype]
    return np.frombuffer(raw, dtype=order + numpy_type).astype(np.float64)


_DESCR = re.compile(r"'descr'\s*:\s*'([<>|=])([a-zA-Z])(\d+)'")
_FORTRAN = re.compile(r"'fortran_order'\s*:\s*(True|False)")
_SHAPE = re.compile(r"'shape'\s*:\s*\(([^)]*)\)")
_DIMENSION = re.compile(r"\s*(\d{1,19})\s*")


def _read_npy(path, f, size):
    prefix = _read_exactly(path, f, 0, min(12, size))
    if size < 10 or prefix[0] != 0x93 or prefix[1:6] != b"NUMPY":
        raise _refuse(path, "not a NumPy .npy file (no \\x93NUMPY magic) or truncated")
    major = prefix[6]
    if major == 1:
        header_length = int.from_bytes(prefix[8:10], "little")
        header_start = 10
    elif major in (2, 3):
        if size < 12:
            raise _refuse(path, "truncated .npy file")
        header_length = int.from_bytes(prefix[8:12], "little")
        header_start = 12
    else:
        raise _refuse(path, ".npy format version %d is not supported (1 to 3 are)" % major)
    if header_length > _MAX_HEADER or header_length > size - header_start:
        raise _refuse(path, "truncated .npy file (a header of %d bytes in a file of %d)" % (header_length, size))
    header = _read_exactly(path, f, header_start, header_length).decode("latin-1")
    descr, fortran, shape = _DESCR.search(header), _FORTRAN.search(header), _SHAPE.search(header)
    if not (descr and fortran and shape):
        raise _refuse(path, "unreadable .npy header " + header.strip())
    dtype = descr.group(1) + descr.group(2) + descr.group(3)
    kind = descr.group(2) + descr.group(3)
    types = {"f2": "F16", "f4": "F32", "f8": "F64"}
    if kind not in types:
        raise _refuse(path, "dtype '%s' is not supported; weights must be float16, float32 or float64"
                      " (<f2, <f4, <f8)" % dtype)
    shape_text = "(" + shape.group(1).strip() + ")"
    parts = shape.group(1).split(",")
    dims = []
    for i, part in enumerate(parts):
        trailing = i == len(parts) - 1 and not part.strip() and i > 0
        empty = len(parts) == 1 and not part.strip()
        if trailing or empty:
            continue
        match = _DIMENSION.fullmatch(part)
        value = int(match.group(1)) if match else -1
        if value < 0 or value > _LONG_MAX:
            raise _refuse(path, "the .npy shape %s is not a tuple of whole numbers >= 0" % shape_text)
        dims.append(value)
    count = _count(path, "the array", dims, shape_text)
    if fortran.group(1) == "True" and len(dims) > 1:
        raise _refuse(path, "a Fortran-ordered %d-D array; save it C-ordered (numpy.ascontiguousarray)"
                            " so that it flattens row-major" % len(dims))
    width = int(descr.group(3))
    data_start = header_start + header_length
    data_bytes = size - data_start
    if count * width > data_bytes:
        raise _refuse(path, "truncated .npy file: shape %s of %s needs %d values of %d bytes, the file has %d"
                            " data bytes" % (shape_text, dtype, count, width, data_bytes))
    _check_values(path, "the array of shape %s" % shape_text, count)
    order = ">" if descr.group(1) == ">" else "<"
    return _decode(_read_exactly(path, f, data_start, count * width), types[kind], order)
