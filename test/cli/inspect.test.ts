import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { runCli, runMain } from '../helpers/cli';
import { COMMANDS } from '../../src/cli/commands/index';
import { makeTempDir, makeTinyLlama, toSafetensors, writeTinyFile, writeTinyFolder } from '../helpers/fixtures';

let tmp: { path: string; cleanup: () => Promise<void> };
let file: string;
let sharded: string;
let corrupt: string;
const model = makeTinyLlama({ layers: 2, dtype: 'BF16', oneElementTensor: true });

beforeAll(async () => {
  tmp = await makeTempDir();
  file = await writeTinyFile(join(tmp.path, 'tiny.safetensors'), model, { format: 'pt', note: 'hello' });
  sharded = await writeTinyFolder(join(tmp.path, 'sharded'), model, { shards: 3 });
  corrupt = join(tmp.path, 'corrupt.safetensors');
  const bytes = toSafetensors(model);
  await writeFile(corrupt, bytes.subarray(0, bytes.length - 3)); // truncated download
});
afterAll(async () => { await tmp.cleanup(); });

const params = model.tensors.reduce((s, t) => s + t.values.length, 0);

describe('kinmerge inspect (spawned binary)', () => {
  it('prints a table for a valid file and exits 0', async () => {
    const r = await runCli(['inspect', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('status:     valid');
    expect(r.stdout).toContain(`parameters: ${params.toLocaleString('en-US')}`);
    expect(r.stdout).toMatch(/model\.layers\.1\.mlp\.down_proj\.weight\s+BF16\s+\[8, 16\]/);
    expect(r.stdout).toContain('note = hello');
  });
  it('reports JSON for a file, a sharded folder and a corrupt file, exiting 1', async () => {
    const r = await runCli(['inspect', '--json', file, sharded, corrupt]);
    expect(r.status).toBe(1);
    const { results } = JSON.parse(r.stdout);
    expect(results.map((x: { valid: boolean }) => x.valid)).toEqual([true, true, false]);
    expect(results[0]).toMatchObject({ kind: 'file', tensorCount: model.tensors.length, parameterCount: params, dataBytes: params * 2, dtypes: { BF16: { tensors: model.tensors.length, parameters: params } }, metadata: { format: 'pt', note: 'hello' }, config: null });
    expect(results[0].tensors[0]).toEqual({ name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [16, 8], numel: 128, byteLength: 256 });
    expect(results[1]).toMatchObject({ kind: 'sharded', tensorCount: model.tensors.length, parameterCount: params, config: { model_type: 'llama' } });
    expect(results[1].files).toHaveLength(3);
    expect(results[2].error).toMatchObject({ name: 'SafetensorsError', code: 'data-truncated' });
    expect(results[2].error.message).toContain('corrupt.safetensors');
  });
  it('exits 2 with a one-line message on usage errors, no stack trace', async () => {
    const r = await runCli(['inspect', '--frobnicate', file]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kinmerge: Unknown option --frobnicate\.\nTry 'kinmerge help inspect'\.\n$/);
  });
});

describe('kinmerge main (in process)', () => {
  it('help, version and unknown commands', async () => {
    expect((await runMain(['--help'])).stdout).toContain('inspect');
    expect((await runMain(['help', 'inspect'])).stdout).toContain('JSON shape');
    expect((await runMain(['inspect', '--help'])).stdout).toContain('Usage: kinmerge inspect');
    expect((await runMain(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
    const none = await runMain([]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('Usage: kinmerge <command>');
    const unknown = await runMain(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^kinmerge: Unknown command "frobnicate"/);
    expect((await runMain(['help', 'nope'])).status).toBe(2);
    expect((await runMain(['inspect'])).status).toBe(2);
    expect((await runMain(['inspect', '--json=1', file])).status).toBe(2);
  });
  it('failures are one line without a stack unless --verbose', async () => {
    const missing = join(tmp.path, 'missing.safetensors');
    const r = await runMain(['inspect', '--summary', missing]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('INVALID (ModelPathError model-path-not-found)');
    expect(r.stdout).not.toContain('    at ');
    expect(r.stderr).toBe('kinmerge: 1 of 1 path(s) failed validation.\n');
    const v = await runMain(['inspect', '--verbose', '--summary', file]);
    expect(v.status).toBe(0);
    expect(v.stdout).not.toContain('embed_tokens'); // --summary leaves out the tensor list
  });
  it('an unexpected error is one line, with the stack only under --verbose', async () => {
    COMMANDS.push({ name: 'boom', summary: '', usage: '', run: async () => { throw new TypeError('x is undefined'); } });
    try {
      const r = await runMain(['boom']);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe('kinmerge: internal error: x is undefined (run with --verbose for details)\n');
      const v = await runMain(['--verbose', 'boom']);
      expect(v.status).toBe(1);
      expect(v.stderr).toMatch(/^kinmerge: internal error: x is undefined\nTypeError: x is undefined\n\s+at /);
    } finally {
      COMMANDS.pop();
    }
  });
});
