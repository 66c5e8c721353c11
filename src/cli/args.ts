/**
 * The CLI's small argument parser: `--flag value`, `--flag=value`, `-f value`, repeated flags
 * (`multiple`), boolean switches, positionals, and `--` to end flags. Anything unknown or malformed
 * is a UsageError (exit status 2).
 */
import { KinmergeError } from '../core/errors';

/** Wrong command-line usage: the CLI prints the message and a pointer to `kinmerge help <cmd>`, exit 2. */
export class UsageError extends KinmergeError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  type: 'boolean' | 'string';
  /** Collect every occurrence into an array (string flags only). */
  multiple?: boolean;
  /** One-letter alias, without the dash. */
  short?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean' ? boolean : S['multiple'] extends true ? string[] : string | undefined;

export interface ParsedArgs<F extends FlagSpecs> {
  flags: { [K in keyof F]: ValueOf<F[K]> };
  positionals: string[];
}

export function parseArgs<F extends FlagSpecs>(argv: string[], specs: F): ParsedArgs<F> {
  const flags: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(specs)) flags[name] = s.type === 'boolean' ? false : s.multiple ? [] : undefined;
  const byShort = new Map(Object.entries(specs).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]));
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else {
      if (arg.length !== 2 || !byShort.has(arg[1])) throw new UsageError(`Unknown option ${arg}.`);
      name = byShort.get(arg[1])!;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`Unknown option --${name}.`);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} is a switch and takes no value.`);
      flags[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value.`);
      value = argv[++i];
    }
    if (spec.multiple) (flags[name] as string[]).push(value);
    else if (flags[name] !== undefined) throw new UsageError(`--${name} was given twice.`);
    else flags[name] = value;
  }
  return { flags: flags as ParsedArgs<F>['flags'], positionals };
}

/** An integer flag value in [min, max], or a UsageError naming the flag. */
export function intFlag(value: string, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ''}${max < Number.MAX_SAFE_INTEGER ? ` <= ${max}` : ''}, got ${JSON.stringify(value)}.`);
  }
  return n;
}

/** A finite number flag value, or a UsageError naming the flag. */
export function numberFlag(value: string, name: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(value)}.`);
  return n;
}

/** One of `choices`, or a UsageError listing them. */
export function choiceFlag<T extends string>(value: string, name: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}.`);
  return value as T;
}
