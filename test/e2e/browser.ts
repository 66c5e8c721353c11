// A fresh Chromium profile per test, with every console error and page error collected so a test
// can fail on them. Debian's chromium, never a downloaded browser (see docs/ENVIRONMENT facts).
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--enable-unsafe-webgpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Session { context: BrowserContext; page: Page; problems: string[]; close(): Promise<void> }

export async function openProfile(viewport = { width: 1280, height: 800 }, colorScheme: 'light' | 'dark' = 'light'): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'kinmerge-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true, args: ARGS, viewport, colorScheme,
  });
  const problems: string[] = [];
  // The page's console also carries the engine worker's and the service worker's messages (checked
  // with playwright-core 1.65 on Debian's chromium), so one listener per page sees them all.
  const watch = (page: Page) => {
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context, page, problems,
    async close() { await context.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

/**
 * Fails with every console error and page error the session saw, listed. Call it in afterEach (after
 * close, so errors logged while closing count too) or mid-test before a profile is replaced.
 */
export function expectNoProblems(s: Pick<Session, 'problems'> | null, where = 'the page'): void {
  const problems = s?.problems ?? [];
  if (problems.length > 0) throw new Error(`${where} logged ${problems.length} console/page error(s):\n${problems.join('\n')}`);
}

/** Closes the session (if any) and then fails on its console or page errors: the usual afterEach. */
export async function closeChecked(s: Session | null): Promise<void> {
  if (!s) return;
  await s.close();
  expectNoProblems(s);
}

const SCRATCH = '.test-results/screenshots';
/**
 * Where screenshots of REAL runs go: docs/screenshots only when asked (SCREENSHOT_DIR=docs/screenshots),
 * so `npm test` leaves the tree clean. Views drawn from fixture records use scratchShotDir() instead, so
 * they never overwrite the README's pictures.
 */
export function screenshotDir(): string {
  const d = process.env.SCREENSHOT_DIR ?? SCRATCH;
  mkdirSync(d, { recursive: true });
  return d;
}
export function scratchShotDir(): string {
  mkdirSync(SCRATCH, { recursive: true });
  return SCRATCH;
}

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
