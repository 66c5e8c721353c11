/** `kinmerge merge|kinship --backend webgpu` in a real child process, against `--backend cpu`. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { gpuEnv } from './gpu-env';
import { runCli, REPO_ROOT } from '../helpers/cli';
import { openSafetensors } from '../../src/core/checkpoint';
import { memorySource } from '../helpers/fixtures';

// SwiftShader runs these kernels on the CPU; on a shared, loaded machine a file can take minutes.
vi.setConfig({ testTimeout: 180_000 });

const dir = mkdtempSync(join(tmpdir(), 'kinmerge-gpu-cli-'));
const CASES = join(REPO_ROOT, 'test', 'golden', 'merge', 'cases');
const KIN = join(REPO_ROOT, 'test', 'golden', 'kinship', 'models');

describe.skipIf(!gpuEnv.available)(`CLI --backend webgpu ${gpuEnv.reason}`, () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('merge (breadcrumbs_ties, BF16) gives the CPU result within 1 BF16 ULP', async () => {
    const outs: Record<string, string> = {};
    for (const b of ['cpu', 'webgpu']) {
      outs[b] = join(dir, `${b}.safetensors`);
      const r = await runCli(['merge', join(CASES, 'breadcrumbs_ties_bf16.yml'), '--out', outs[b], '--backend', b, '--chunk-elems', '100'], { timeoutMs: 150_000 });
      expect(r.status, r.stderr).toBe(0);
    }
    const [c, g] = await Promise.all(['cpu', 'webgpu'].map((b) => openSafetensors(memorySource(new Uint8Array(readFileSync(outs[b]))), b)));
    expect(g.tensors().map((t) => [t.name, t.dtype, t.shape])).toEqual(c.tensors().map((t) => [t.name, t.dtype, t.shape]));
    for (const t of c.tensors()) {
      const a = await c.readF32(t.name, 0, t.numel), b = await g.readF32(t.name, 0, t.numel);
      for (let i = 0; i < t.numel; i++) expect(Math.abs(a[i] - b[i]), `${t.name}[${i}]`).toBeLessThanOrEqual(2 ** (Math.floor(Math.log2(Math.max(Math.abs(a[i]), 1e-30))) - 7));
    }
  });

  it('kinship --json agrees with the CPU to 1e-4 relative', async () => {
    const args = ['kinship', '--base', join(KIN, 'base.bf16.safetensors'), join(KIN, 'a.bf16.safetensors'), join(KIN, 'b.bf16.safetensors'), '--metric', 'pcc,cs', '--json'];
    const [c, g] = await Promise.all(['cpu', 'webgpu'].map(async (b) => {
      const r = await runCli([...args, '--backend', b], { timeoutMs: 150_000 });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { metrics: Record<string, (number | null)[][]> };
    }));
    for (const m of ['pcc', 'cs']) {
      c.metrics[m].forEach((row, i) => row.forEach((v, j) => expect(Math.abs(g.metrics[m][i][j]! - v!)).toBeLessThanOrEqual(1e-4 * Math.abs(v!) + 1e-7)));
    }
  });
});
