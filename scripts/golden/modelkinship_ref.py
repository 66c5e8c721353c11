#!/usr/bin/python3
"""Golden expectations for `kinmerge kinship`: ModelKinship's computations, re-implemented from the
description in shared/reference (merge-semantics.md "Kinship", paper-and-mergekit.md section 1).

Writes tiny Llama-named checkpoints (F32 / BF16 / F16; identical, opposite, zero-delta, extra vocab
rows, a missing tensor, an all-zero tensor, a 1-element tensor) to test/golden/kinship/models/ and
the reference results to test/golden/kinship/expected.json, so the TypeScript tests need no Python.

The reference path, as ModelKinship runs it:
- every checkpoint is loaded as float32 (transformers ~4.37 upcasts; bf16/f16 -> f32 is exact);
- V = rows of the base's lm_head.weight; for each key of the base in order, skipped when missing in
  either model, delta = (m[key][:V] - base[key]).flatten() in float32; deltas concatenated;
- pcc = torch.corrcoef(stack(d1, d2))[0, 1] (float32, clipped to [-1, 1] by torch);
- cs = numpy.sqrt(dot(a, b)**2 / (dot(a, a) * dot(b, b))) on float32 arrays: |cos|;
  the signed cosine (our "cs") is the same expression without the square and root of the numerator;
- ed = torch.dist(d1, d2);
- split mode: the metric per tensor, NaN skipped, numel-weighted mean.
NaN is written as null.

Run: /usr/bin/python3 scripts/golden/modelkinship_ref.py   (numpy, torch 1.13)
"""
import json
import math
import os
import struct
import warnings

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'golden', 'kinship')
MODELS = os.path.join(ROOT, 'models')
LAYERS, HIDDEN, INTER, VOCAB = 2, 8, 16, 16


def layout():
    out = [('model.embed_tokens.weight', (VOCAB, HIDDEN))]
    for i in range(LAYERS):
        p = f'model.layers.{i}'
        out += [(f'{p}.input_layernorm.weight', (HIDDEN,)),
                (f'{p}.self_attn.q_proj.weight', (HIDDEN, HIDDEN)),
                (f'{p}.self_attn.k_proj.weight', (HIDDEN, HIDDEN)),
                (f'{p}.self_attn.v_proj.weight', (HIDDEN, HIDDEN)),
                (f'{p}.self_attn.o_proj.weight', (HIDDEN, HIDDEN)),
                (f'{p}.post_attention_layernorm.weight', (HIDDEN,)),
                (f'{p}.mlp.gate_proj.weight', (INTER, HIDDEN)),
                (f'{p}.mlp.up_proj.weight', (INTER, HIDDEN)),
                (f'{p}.mlp.down_proj.weight', (HIDDEN, INTER))]
    out += [('model.norm.weight', (HIDDEN,)), ('lm_head.weight', (VOCAB, HIDDEN)),
            ('model.zero_tensor.weight', (HIDDEN,)), ('model.scalar.weight', (1,))]
    return out


# ---------------------------------------------------------------------------------------------
# safetensors, written and read here independently of the TypeScript code

def to_bf16_bits(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def encode(x, dtype):
    if dtype == 'F32':
        return np.ascontiguousarray(x, dtype='<f4').tobytes()
    if dtype == 'F16':
        return np.ascontiguousarray(x, dtype=np.float32).astype('<f2').tobytes()
    if dtype == 'BF16':
        return to_bf16_bits(x).astype('<u2').tobytes()
    raise ValueError(dtype)


def write_safetensors(path, tensors):
    """tensors: list of (name, dtype, np.float32 array)."""
    header, blobs, offset = {'__metadata__': {'format': 'pt'}}, [], 0
    for name, dtype, x in tensors:
        b = encode(x, dtype)
        header[name] = {'dtype': dtype, 'shape': list(x.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


def read_safetensors(path):
    """An ordered dict name -> float32 torch tensor, like a state dict loaded in float32."""
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]['data_offsets'][0]):
        b0, b1 = e['data_offsets']
        raw = data[8 + n + b0:8 + n + b1]
        if e['dtype'] == 'F32':
            x = np.frombuffer(raw, '<f4')
        elif e['dtype'] == 'F16':
            x = np.frombuffer(raw, '<f2').astype(np.float32)
        elif e['dtype'] == 'BF16':
            x = (np.frombuffer(raw, '<u2').astype(np.uint32) << 16).view(np.float32)
        else:
            raise ValueError(e['dtype'])
        out[name] = torch.from_numpy(x.astype(np.float32).reshape(e['shape']).copy())
    return out


# ---------------------------------------------------------------------------------------------
# ModelKinship's computations

def deltas(sd1, sd2, base):
    """Per-tensor f32 deltas of two models, ModelKinship's extract_delta_parameters."""
    V = base['lm_head.weight'].shape[0]
    out = []
    for key, b in base.items():
        if key not in sd1 or key not in sd2:
            continue
        d1 = (sd1[key][:V] - b).view(-1)
        d2 = (sd2[key][:V] - b).view(-1)
        out.append((key, d1, d2))
    return out


def pcc(d1, d2):
    return float(torch.corrcoef(torch.stack((d1, d2), 0))[0, 1])


def cs_abs(d1, d2):
    a, b = d1.numpy(), d2.numpy()
    return float(np.sqrt(np.dot(a, b) ** 2 / (np.dot(a, a) * np.dot(b, b))))


def cs_signed(d1, d2):
    a, b = d1.numpy(), d2.numpy()
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


def ed(d1, d2):
    return float(torch.dist(d1, d2))


FNS = {'pcc': pcc, 'cs': cs_signed, 'cs_abs': cs_abs, 'ed': ed}


def metric_global(sd1, sd2, base, fn):
    ds = deltas(sd1, sd2, base)
    return fn(torch.cat([d[1] for d in ds]), torch.cat([d[2] for d in ds]))


def metric_split(sd1, sd2, base, fn):
    total, weight = 0.0, 0
    for _, d1, d2 in deltas(sd1, sd2, base):
        v = fn(d1, d2)
        if math.isnan(v):
            continue
        total += d1.numel() * v
        weight += d1.numel()
    return total / weight if weight > 0 else float('nan')


def nan_to_none(v):
    return None if math.isnan(v) else v


def run_case(name, base_file, model_files, split):
    base = read_safetensors(os.path.join(MODELS, base_file))
    sds = [read_safetensors(os.path.join(MODELS, f)) for f in model_files]
    metrics = {}
    for m, fn in FNS.items():
        calc = metric_split if split else metric_global
        metrics[m] = [[nan_to_none(calc(a, b, base, fn)) for b in sds] for a in sds]
    return {'name': name, 'base': base_file, 'models': model_files, 'split': split, 'metrics': metrics}


# ---------------------------------------------------------------------------------------------
# The fixture family

def make_models():
    rng = np.random.default_rng(20241016)
    lay = layout()
    base = {}
    for name, shape in lay:
        base[name] = np.zeros(shape, np.float32) if name == 'model.zero_tensor.weight' else rng.normal(0, 0.02, shape).astype(np.float32)
    def delta(scale):
        return {name: (np.zeros(shape, np.float32) if name == 'model.zero_tensor.weight' else rng.normal(0, scale, shape).astype(np.float32)) for name, shape in lay}
    da, dn = delta(0.002), delta(0.002)
    # b is correlated with a (corr ~0.6); d is an independent direction with a non-zero mean shift.
    db = {k: (0.6 * da[k] + 0.8 * dn[k]).astype(np.float32) for k in da}
    dd = {k: (v + (0.001 if k != 'model.zero_tensor.weight' else 0.0)).astype(np.float32) for k, v in delta(0.003).items()}
    add = lambda d, s=1.0: {k: (base[k] + np.float32(s) * d[k]).astype(np.float32) for k in base}
    models = {'base': base, 'a': add(da), 'b': add(db), 'opp': add(da, -1.0), 'd': add(dd), 'zero': dict(base)}
    # a with a zero delta on two tensors (split mode must skip them for pcc and cs).
    part = add(da)
    part['model.layers.0.self_attn.q_proj.weight'] = base['model.layers.0.self_attn.q_proj.weight'].copy()
    part['model.norm.weight'] = base['model.norm.weight'].copy()
    models['part'] = part
    # a fine-tune that added 3 vocabulary rows to embed_tokens and lm_head.
    ext = dict(add(db))
    for k in ('model.embed_tokens.weight', 'lm_head.weight'):
        ext[k] = np.concatenate([ext[k], rng.normal(0, 0.02, (3, HIDDEN)).astype(np.float32)], 0)
    models['ext'] = ext
    # d without one MLP tensor.
    models['missing'] = {k: v for k, v in add(dd).items() if k != 'model.layers.1.mlp.up_proj.weight'}
    return lay, models


def main():
    os.makedirs(MODELS, exist_ok=True)
    lay, models = make_models()
    order = [name for name, _ in lay]
    files = {}
    for dtype in ('F32', 'BF16', 'F16'):
        for key, sd in models.items():
            if dtype != 'F32' and key not in ('base', 'a', 'b', 'opp', 'zero', 'd'):
                continue
            fname = f'{key}.{dtype.lower()}.safetensors'
            write_safetensors(os.path.join(MODELS, fname), [(n, dtype, sd[n]) for n in order if n in sd])
            files[(key, dtype)] = fname
    # Two identical copies of a (separate files) for the identical case.
    write_safetensors(os.path.join(MODELS, 'a_copy.f32.safetensors'), [(n, 'F32', models['a'][n]) for n in order])
    f = lambda k, d='F32': files[(k, d)]
    cases = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # 0/0 in the reference is the point of the NaN cases
        for split in (False, True):
            s = '_split' if split else ''
            cases.append(run_case('f32_family' + s, f('base'), [f('a'), f('b'), f('opp'), 'a_copy.f32.safetensors', f('zero'), f('d')], split))
            cases.append(run_case('f32_vocab_partial_missing' + s, f('base'), [f('a'), f('ext'), f('part'), f('missing')], split))
            cases.append(run_case('bf16' + s, f('base', 'BF16'), [f(k, 'BF16') for k in ('a', 'b', 'opp', 'zero', 'd')], split))
            cases.append(run_case('f16' + s, f('base', 'F16'), [f(k, 'F16') for k in ('a', 'b', 'opp', 'zero', 'd')], split))
            cases.append(run_case('mixed_dtypes' + s, f('base'), [f('a', 'BF16'), f('b', 'F16'), f('d')], split))
    with open(os.path.join(ROOT, 'expected.json'), 'w') as fh:
        json.dump({'generator': 'scripts/golden/modelkinship_ref.py', 'torch': torch.__version__, 'numpy': np.__version__, 'cases': cases}, fh, indent=1)
        fh.write('\n')
    print(f'{len(cases)} cases, {len(os.listdir(MODELS))} checkpoints in {ROOT}')


if __name__ == '__main__':
    main()
