/**
 * Child process of bench/merge.bench.ts, so each measurement gets its own peak RSS:
 *   baseline A B OUT: read both inputs tensor by tensor in the merge's chunks and write the output bytes
 *   merge CONFIG OUT: `kinmerge merge` in process (main() of the CLI)
 * Prints one JSON line {seconds, maxRssMB}; seconds exclude Node/tsx start-up.
 */
import { readWriteBaseline } from './merge-data';

const [mode, ...args] = process.argv.slice(2);
const t0 = performance.now();
// Time after imports, like the numpy script (which times after `import numpy`).
if (mode === 'baseline') {
  const [pa, pb, out] = args;
  await readWriteBaseline(pa, pb, out);
} else if (mode === 'merge') {
  // The merge command itself, timed after its import: the CLI's entry imports every subcommand
  // (eval pulls in ONNX tooling), which is start-up cost the wall time in the bench row still shows.
  const { merge } = await import('../src/cli/commands/merge');
  const t1 = performance.now();
  const io = { out: (s: string) => process.stderr.write(s), err: (s: string) => process.stderr.write(s) };
  const code = await merge.run([args[0], '--out', args[1], '--quiet', ...args.slice(2)], io);
  if (code !== 0) process.exit(code);
  console.log(JSON.stringify({ seconds: (performance.now() - t1) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
} else {
  throw new Error(`unknown mode ${mode}`);
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
