#!/usr/bin/python3
"""
The comparison point of bench/merge.bench.ts: mergekit's SLERP formula in numpy (float32, whole
tensor per angle, the 1e-8 norm rule and the 0.9995 lerp rule), reading both F32 checkpoints through
np.memmap and writing one safetensors file with the same header layout.
Usage: slerp_numpy.py A.safetensors B.safetensors OUT.safetensors T
Prints one JSON line {"seconds": ..., "maxRssMB": ...} (seconds exclude interpreter start-up).
"""
import json
import resource
import struct
import sys
import time

import numpy as np

t0 = time.perf_counter()
pa, pb, out, t = sys.argv[1], sys.argv[2], sys.argv[3], np.float32(float(sys.argv[4]))


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return n, json.loads(f.read(n))


def slerp(t, v0, v1, dot_threshold=0.9995, eps=1e-8):
    v0c, v1c = v0, v1  # mergekit copies; the memmaps are read-only views already
    n0, n1 = np.linalg.norm(v0), np.linalg.norm(v1)
    a = v0 / n0 if n0 > eps else v0
    b = v1 / n1 if n1 > eps else v1
    dot = np.sum(a * b)
    if np.abs(dot) > dot_threshold:
        return (1 - t) * v0c + t * v1c
    theta0 = np.arccos(dot)
    s = np.sin(theta0)
    tt = theta0 * t
    return (np.sin(theta0 - tt) / s) * v0c + (np.sin(tt) / s) * v1c


na, ha = header(pa)
nb, hb = header(pb)
ma = np.memmap(pa, dtype=np.uint8, mode="r")
mb = np.memmap(pb, dtype=np.uint8, mode="r")
with open(pa, "rb") as f:
    raw_header = f.read(8 + na)
with open(out, "wb") as f:
    f.write(raw_header)
    for name, e in sorted(((k, v) for k, v in ha.items() if k != "__metadata__"), key=lambda kv: kv[1]["data_offsets"][0]):
        s0, e0 = e["data_offsets"]
        s1, e1 = hb[name]["data_offsets"]
        v0 = ma[8 + na + s0:8 + na + e0].view(np.float32)
        v1 = mb[8 + nb + s1:8 + nb + e1].view(np.float32)
        f.write(slerp(t, v0, v1).astype(np.float32).tobytes())
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
