/**
 * The explicit list of `kinmerge` subcommands. To add one: create commands/<name>.ts exporting a
 * `Command`, import it here and add it to COMMANDS (in the order `kinmerge --help` lists them).
 */
import type { Command } from '../command';
import { inspect } from './inspect';
import { merge } from './merge';
import { kinship } from './kinship';
import { evalCommand } from './eval';
import { evolve } from './evolve';

export const COMMANDS: Command[] = [
  inspect,
  merge,
  kinship,
  evalCommand,
  evolve,
];
