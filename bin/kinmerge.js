#!/usr/bin/env node
// The `kinmerge` command. The CLI is TypeScript run through tsx's loader, so the same sources serve
// the browser build, the tests and the CLI without a separate compile step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const { interruptibleProcessIO } = await import('../src/cli/command.ts');
process.exitCode = await main(process.argv.slice(2), interruptibleProcessIO());
