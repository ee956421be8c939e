"""PyTorch's layer_norm on the GPU check's cases: kernel time (CUDA events) and distance from ours.

Usage: python3 torch_layer_norm.py CASES_DIR   (the *_in.npy / *_ours.npy pairs the check wrote)
Prints one JSON object per case, or one {"skipped": ...} when torch or CUDA is missing.
"""
import glob
import json
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(json.dumps({"skipped": "no torch or numpy: %s" % e}))
    sys.exit(0)
if not torch.cuda.is_available():
    print(json.dumps({"skipped": "torch %s sees no CUDA device" % torch.__version__}))
    sys.exit(0)

EPSILON = 1e-5
REPEATS = 20
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*_in.npy"))):
    name = os.path.basename(path)[: -len("_in.npy")]
    x_host = np.load(path)
    ours = np.load(os.path.join(sys.argv[1], name + "_ours.npy"))
    x = torch.from_numpy(x_host).cuda()
    d = x.shape[1]
    y = F.layer_norm(x, (d,), eps=EPSILON)
    torch.cuda.synchronize()
    best = float("inf")
    for _ in range(REPEATS):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        y = F.layer_norm(x, (d,), eps=EPSILON)
        end.record()
        torch.cuda.synchronize()
        best = min(best, start.elapsed_time(end))
    diff = np.abs(y.cpu().numpy().astype(np.float64) - ours.astype(np.float64)) / np.maximum(1.0, np.abs(ours))
    moved = 2.0 * x_host.size * x_host.itemsize
    print(json.dumps({"case": name, "rows": int(x.shape[0]), "d": int(d), "torchKernelMs": best,
                      "torchGBs": moved / (best * 1e-3) / 1e9, "maxRelDiffFromOurs": float(diff.max()),
                      "device": torch.cuda.get_device_name(0), "torch": torch.__version__}))
