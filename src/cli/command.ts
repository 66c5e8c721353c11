/** What every `kinmerge` subcommand module exports (listed in commands/index.ts). */
export interface CliIO {
  /** Write to stdout (text as given; add your own newlines). */
  out(text: string): void;
  /** Write to stderr. */
  err(text: string): void;
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
