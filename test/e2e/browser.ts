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

export function screenshotDir(): string {
  // docs/screenshots only when asked (SCREENSHOT_DIR=docs/screenshots), so `npm test` leaves the tree clean.
  const d = process.env.SCREENSHOT_DIR ?? '.test-results/screenshots';
  mkdirSync(d, { recursive: true });
  return d;
}

export const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
