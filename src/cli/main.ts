/**
 * `kinmerge` entry: global flags (--help, --version, --verbose), dispatch to a subcommand, and the
 * exit-status contract: 0 success, 1 failure, 2 usage error; errors are one line on stderr,
 * `kinmerge: <message>`, with a stack trace only under --verbose.
 */
import { readFileSync } from 'node:fs';
import { CancelledError, KinmergeError } from '../core/errors';
import { UsageError } from './args';
import type { CliIO, Command } from './command';
import { processIO } from './command';
import { COMMANDS } from './commands/index';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function overallHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'kinmerge: merge models and measure model kinship (safetensors, CPU or WebGPU).',
    '',
    'Usage: kinmerge <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --help, -h     show help (kinmerge help <command> for one command)',
    '  --version      print the version',
    '  --verbose      print stack traces with errors',
    '',
    'Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C; nothing is left half-written).',
    '',
  ].join('\n');
}

function findCommand(name: string): Command {
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw new UsageError(`Unknown command ${JSON.stringify(name)}. Commands: ${COMMANDS.map((c) => c.name).join(', ')}.`);
  return cmd;
}

/** Run the CLI; returns the exit status (never throws). */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  // --verbose is global and may appear anywhere before `--`.
  const end = argv.indexOf('--') < 0 ? argv.length : argv.indexOf('--');
  const verbose = argv.slice(0, end).includes('--verbose');
  const args = argv.filter((a, i) => !(i < end && a === '--verbose'));
  let cmdName: string | undefined;
  try {
    const [first, ...rest] = args;
    if (first === undefined) {
      io.err(overallHelp());
      return 2;
    }
    if (first === '--help' || first === '-h') {
      io.out(overallHelp());
      return 0;
    }
    if (first === '--version' || first === '-V') {
      io.out(`${version()}\n`);
      return 0;
    }
    if (first === 'help') {
      if (rest.length === 0) io.out(overallHelp());
      else io.out(findCommand(rest[0]).usage.trimEnd() + '\n');
      return 0;
    }
    if (first.startsWith('-')) throw new UsageError(`Unknown option ${first} (options go after the command).`);
    const cmd = findCommand(first);
    cmdName = cmd.name;
    const before = rest.indexOf('--') < 0 ? rest.length : rest.indexOf('--');
    if (rest.slice(0, before).some((a) => a === '--help' || a === '-h')) {
      io.out(cmd.usage.trimEnd() + '\n');
      return 0;
    }
    return await cmd.run(rest, io);
  } catch (e) {
    return report(e, io, verbose, cmdName);
  }
}

function report(e: unknown, io: CliIO, verbose: boolean, cmdName?: string): number {
  if (e instanceof UsageError) {
    io.err(`kinmerge: ${e.message}\nTry 'kinmerge help${cmdName ? ` ${cmdName}` : ''}'.\n`);
    return 2;
  }
  const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ');
  if (e instanceof CancelledError) {
    io.err(`kinmerge: ${oneLine(e.message)}\n`);
    return 130; // the shell's status for a command stopped by SIGINT
  }
  if (e instanceof KinmergeError) {
    io.err(`kinmerge: ${oneLine(e.message)}\n`);
  } else {
    // Not a named error: a bug or an environment failure. Still one line unless --verbose.
    const msg = e instanceof Error ? e.message : String(e);
    io.err(`kinmerge: internal error: ${oneLine(msg)}${verbose ? '' : ' (run with --verbose for details)'}\n`);
  }
  if (verbose && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
  return 1;
}
