#!/usr/bin/python3
"""
Writes test/golden/merge/: tiny Llama-named input checkpoints (F32, BF16, F16), recipes and the
expected outputs computed by mergekit_ref.py. The test suite reads these files and needs no Python.
Regenerate: /usr/bin/python3 scripts/golden/make_merge_goldens.py
"""
import json
import os
import shutil
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(__file__))
import st_io  # noqa: E402
from mergekit_ref import OUT, run_case  # noqa: E402

LAYERS, HIDDEN, INTER, VOCAB = 3, 8, 16, 12


def layout():
    t = [("model.embed_tokens.weight", [VOCAB, HIDDEN])]
    for i in range(LAYERS):
        p = f"model.layers.{i}"
        t += [(f"{p}.input_layernorm.weight", [HIDDEN])]
        t += [(f"{p}.self_attn.{x}_proj.weight", [HIDDEN, HIDDEN]) for x in "qkvo"]
        t += [(f"{p}.post_attention_layernorm.weight", [HIDDEN])]
        t += [(f"{p}.mlp.gate_proj.weight", [INTER, HIDDEN]), (f"{p}.mlp.up_proj.weight", [INTER, HIDDEN]),
              (f"{p}.mlp.down_proj.weight", [HIDDEN, INTER])]
    t += [("model.norm.weight", [HIDDEN]), ("lm_head.weight", [VOCAB, HIDDEN])]
    # all-zero in every model; zero in the base only; a 1-element tensor
    t += [("model.zero_tensor.weight", [HIDDEN]), ("model.half_zero.weight", [HIDDEN]), ("model.scalar.weight", [1])]
    return t


def make_models(dtype):
    rng = np.random.default_rng(20241127)
    base, d1, d2 = {}, {}, {}
    for name, shape in layout():
        n = int(np.prod(shape))
        b = rng.normal(0, 0.5, n).astype(np.float32)
        x1 = rng.normal(0, 0.05, n).astype(np.float32)
        x2 = rng.normal(0, 0.08, n).astype(np.float32)
        if name == "model.zero_tensor.weight":
            b, x1, x2 = np.zeros(n, np.float32), np.zeros(n, np.float32), np.zeros(n, np.float32)
        if name == "model.half_zero.weight":
            b = np.zeros(n, np.float32)
        base[name], d1[name], d2[name] = b, x1, x2
    r = lambda v: st_io.round_to(dtype, v)  # noqa: E731
    fine = {k: r(r(base[k]) + d1[k]) for k in base}
    return {
        "base": {k: r(v) for k, v in base.items()},
        "fine": fine,
        "other": {k: r(r(base[k]) + d2[k]) for k in base},
        "identical": {k: v.copy() for k, v in fine.items()},
        "neg": {k: -v for k, v in fine.items()},
        "zero": {k: r(v) for k, v in base.items()},
    }


GRADIENT_T = """
  t:
    - filter: self_attn
      value: [0, 0.5, 0.3, 0.7, 1]
    - filter: mlp
      value: [1, 0.5, 0.7, 0.3, 0]
    - value: 0.5
"""


def slerp_pair(dt, a, b, params, extra=""):
    return f"""merge_method: slerp
base_model: ../models/{dt}/{a}.safetensors
models:
  - model: ../models/{dt}/{a}.safetensors
  - model: ../models/{dt}/{b}.safetensors
parameters:{params}{extra}"""


def slices_gradient(dt):
    return f"""slices:
  - sources:
      - model: ../models/{dt}/base.safetensors
        layer_range: [0, {LAYERS}]
      - model: ../models/{dt}/fine.safetensors
        layer_range: [0, {LAYERS}]
merge_method: slerp
base_model: ../models/{dt}/base.safetensors
parameters:{GRADIENT_T}"""


def gta(method, dt, models, params=None, extra=""):
    lines = [f"merge_method: {method}", f"base_model: ../models/{dt}/base.safetensors", "models:",
             f"  - model: ../models/{dt}/base.safetensors"]
    for m, p in models:
        lines += [f"  - model: ../models/{dt}/{m}.safetensors", f"    parameters: {json.dumps(p)}"]
    if params:
        lines.append(f"parameters: {json.dumps(params)}")
    return "\n".join(lines) + "\n" + extra


CASES = {
    "slerp_scalar_f32": (slerp_pair("f32", "base", "fine", "\n  t: 0.3\n"), 0),
    "slerp_gradient_f32": (slices_gradient("f32"), 0),
    "slerp_gradient_bf16": (slices_gradient("bf16"), 0),
    "slerp_gradient_f16": (slices_gradient("f16"), 0),
    "slerp_identical_f32": (slerp_pair("f32", "fine", "identical", "\n  t: 0.4\n"), 0),
    "slerp_identical_bf16": (slerp_pair("bf16", "fine", "identical", "\n  t: 0.4\n"), 0),
    "slerp_opposite_f32": (slerp_pair("f32", "fine", "neg", "\n  t: 0.25\n"), 0),
    "slerp_opposite_f16": (slerp_pair("f16", "fine", "neg", "\n  t: 0.25\n"), 0),
    "slerp_zero_delta_bf16": (slerp_pair("bf16", "base", "zero", "\n  t: 0.5\n"), 0),
    "slerp_ends_f32": (slerp_pair("f32", "base", "other", "\n  t: [0, 1]\n"), 0),
    "slerp_cast_filters_f32": (slerp_pair("f32", "base", "other",
                                          "\n  t:\n    - filter: q_proj\n      value: 1.3\n    - filter: '*'\n      value: [0.2, 0.9]\n",
                                          "dtype: bfloat16\nout_dtype: float16\n"), 0),
    "linear_f32": ("""merge_method: linear
models:
  - model: ../models/f32/fine.safetensors
    parameters: {weight: 0.6}
  - model: ../models/f32/other.safetensors
    parameters: {weight: 0.3}
  - model: ../models/f32/base.safetensors
    parameters: {weight: 0.1}
""", 0),
    "linear_bf16_nonorm": ("""merge_method: linear
models:
  - model: ../models/bf16/fine.safetensors
    parameters:
      weight: [0.2, 0.8]
  - model: ../models/bf16/other.safetensors
parameters:
  weight: 0.5
  normalize: false
""", 0),
    "task_arithmetic_f32": (gta("task_arithmetic", "f32", [("fine", {"weight": 0.7}), ("other", {"weight": 0.5})], {"lambda": 0.8}), 0),
    "task_arithmetic_f16": (gta("task_arithmetic", "f16", [("fine", {"weight": 1.0}), ("other", {"weight": [0.2, 1.0]})]), 0),
    "ties_f32": (gta("ties", "f32", [("fine", {"weight": 1.0, "density": 0.5}), ("other", {"weight": 0.7, "density": 0.3})]), 0),
    "ties_bf16": (gta("ties", "bf16", [("fine", {"weight": [1.0, 0.5], "density": 0.6}), ("other", {"weight": -0.4, "density": 0.6})], {"lambda": 1.1}), 0),
    "ties_f16_nonorm": (gta("ties", "f16", [("fine", {"weight": 0.8}), ("other", {"weight": 0.6})], {"density": 0.4, "normalize": False}), 0),
    "breadcrumbs_f32": (gta("breadcrumbs", "f32", [("fine", {"weight": 1.0}), ("other", {"weight": 0.5})], {"density": 0.8, "gamma": 0.1}), 0),
    "breadcrumbs_ties_bf16": (gta("breadcrumbs_ties", "bf16", [("fine", {"weight": 1.0, "density": 0.6}), ("other", {"weight": 0.8, "density": 0.7, "gamma": 0.05})]), 0),
    "dare_ties_f32": (gta("dare_ties", "f32", [("fine", {"weight": 1.0, "density": 0.6}), ("other", {"weight": 0.7, "density": 0.4})]), 42),
    "dare_linear_bf16": (gta("dare_linear", "bf16", [("fine", {"weight": 0.5, "density": 0.5}), ("other", {"weight": 0.5, "density": 0.7})], {"rescale": False}), 7),
    "dare_linear_f32_rescale": (gta("dare_linear", "f32", [("fine", {"weight": 0.5, "density": 0.3}), ("other", {"weight": 0.5, "density": 0.8})]), 2**40 + 5),
}


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for dt, code in (("f32", "F32"), ("bf16", "BF16"), ("f16", "F16")):
        os.makedirs(os.path.join(OUT, "models", dt))
        shapes = dict(layout())
        for mname, tensors in make_models(code).items():
            st_io.write(os.path.join(OUT, "models", dt, f"{mname}.safetensors"),
                        [(n, code, shapes[n], v) for n, v in tensors.items()], {"format": "pt"})
    os.makedirs(os.path.join(OUT, "cases"))
    manifest = []
    for name, (text, seed) in CASES.items():
        case_dir = os.path.join(OUT, "cases")
        with open(os.path.join(case_dir, f"{name}.yml"), "w") as f:
            f.write(text)
        out = run_case(yaml.safe_load(text), case_dir, seed)
        st_io.write(os.path.join(case_dir, f"{name}.expected.safetensors"), out, {"format": "pt"})
        manifest.append({"name": name, "recipe": f"cases/{name}.yml", "expected": f"cases/{name}.expected.safetensors", "seed": seed})
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"generator": "scripts/golden/make_merge_goldens.py", "cases": manifest}, f, indent=1)
    print(f"wrote {len(manifest)} cases to {OUT}")


if __name__ == "__main__":
    main()
