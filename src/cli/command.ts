/** What every `kinmerge` subcommand module exports (listed in commands/index.ts). */
import { CancelledError } from '../core/errors';

export interface CliIO {
  /** Write to stdout (text as given; add your own newlines). */
  out(text: string): void;
  /** Write to stderr. */
  err(text: string): void;
  /** Aborted on Ctrl-C / SIGTERM: long commands stop and remove what they had started to write. */
  signal?: AbortSignal;
}

export interface Command {
  name: string;
  /** One line for `kinmerge --help`. */
  summary: string;
  /** Full text for `kinmerge help <name>` and `<name> --help`. */
  usage: string;
  /** Exit status: 0 success, 1 failure (2 comes from throwing a UsageError). */
  run(argv: string[], io: CliIO): Promise<number>;
}

export const processIO: CliIO = {
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
};

/**
 * processIO with a signal that the first SIGINT or SIGTERM aborts (the command cleans up and exits
 * with 130); a second one exits at once.
 */
export function interruptibleProcessIO(): CliIO {
  const ctl = new AbortController();
  const stop = () => {
    if (ctl.signal.aborted) process.exit(130);
    process.stderr.write('\nkinmerge: stopping (press Ctrl-C again to quit at once)\n');
    ctl.abort(new CancelledError('Interrupted; nothing was written.'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { ...processIO, signal: ctl.signal };
}
