// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with a fresh
// profile per launch, and every console message, page error and dialog recorded for assertions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export interface BrowserRun {
  context: BrowserContext;
  page: Page;
  /** `type: text` of every console message. */
  console: string[];
  /** Uncaught exceptions in the page. */
  errors: string[];
  /** alert/confirm/prompt opened (each dismissed). */
  dialogs: string[];
  close(): Promise<void>;
}

export async function openBrowser(options: { httpCredentials?: { username: string; password: string } } = {}): Promise<BrowserRun> {
  const profile = mkdtempSync(join(tmpdir(), 'evcam-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 860 }, ...options,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const run: BrowserRun = {
    context, page, console: [], errors: [], dialogs: [],
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  page.on('console', (m) => run.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => run.errors.push(e.message));
  page.on('dialog', (d) => { run.dialogs.push(`${d.type()}: ${d.message()}`); void d.dismiss(); });
  return run;
}
