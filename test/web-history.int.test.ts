// The web camera with `history` on the file the SQLite camera writes, and a small LRU: a task
// the State evicted is still found by the Tasks page's search and its detail page opens.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@evcam/camera-testkit';
import Database from 'better-sqlite3';
import { openBrowser, type BrowserRun } from './helpers/browser.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture } from './helpers/paths.js';
import { createVhost, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';

describe('web dashboard with history from the SQLite camera', () => {
  let dir: string;
  let vhost: ReturnType<typeof createVhost>;
  let kernel: KernelRun;
  let browser: BrowserRun;
  let url: string;
  let db: string;
  const messages = readFileSync(fixture('rabbitmq-5.2.6.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CapturedMessage);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'evcam-web-history-'));
    vhost = createVhost('evcam-web-history');
    db = join(dir, 'history.db');
    const config = join(dir, 'evcam.config.json');
    writeFileSync(config, JSON.stringify({
      broker: vhost.url, freq: 0.3, maxTasksInMemory: 20,
      cameras: [{ use: 'sqlite', options: { file: db } }, { use: 'web', options: { port: 0, history: db } }],
    }));
    // The web camera opens the history at start: let the SQLite camera create it first.
    const first = startKernel(['--config', config, '--camera', 'sqlite', '--camera-option', `file=${db}`]);
    await first.waitFor('consuming Celery events');
    await first.stop();
    kernel = startKernel(['--config', config]);
    await kernel.waitFor('consuming Celery events');
    await kernel.waitFor(/dashboard at (\S+)/);
    url = /dashboard at (\S+)/.exec(kernel.stdout())![1];
    browser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    await kernel?.stop();
    vhost?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an evicted task is found by search and its detail opens', async () => {
    // The capture in slices, each stored by the SQLite camera before the next, so it stores tasks the LRU (20) later evicts.
    const storedEvents = (): number => {
      const reader = new Database(db, { readonly: true });
      try {
        return Number((reader.prepare('SELECT max(event_count) AS n FROM shutters').get() as { n: number | null }).n ?? 0);
      } finally {
        reader.close();
      }
    };
    let published = 0;
    for (let i = 0; i < messages.length; i += 100) {
      const slice = messages.slice(i, i + 100);
      await publishCaptured(vhost.url, slice);
      // A task.multi message carries several events.
      published += slice.reduce((n, m) => n + (m.body.trimStart().startsWith('[') ? (JSON.parse(m.body) as unknown[]).length : 1), 0);
      await waitUntil(() => storedEvents() >= published,
        `a SQLite shutter with the ${published} events published so far`, { timeoutMs: 30_000 });
    }
    assert.equal(published, 1020, 'the capture holds 1020 events');
    await waitUntil(async () => ((await (await fetch(`${url}api/stats`)).json()) as { eventCount: number }).eventCount >= 1020,
      'every event folded', { timeoutMs: 30_000 });
    const reader = new Database(db, { readonly: true });
    const rows = reader.prepare("SELECT uuid, name, state FROM tasks WHERE state = 'SUCCESS' ORDER BY first_seen").all() as { uuid: string; name: string; state: string }[];
    // The SQLite camera migrated the file to the version whose trigram index serves the search below.
    assert.ok(reader.prepare("SELECT 1 FROM sqlite_master WHERE name = 'tasks_fts'").get(), 'the FTS5 search table exists');
    reader.close();
    let stored: { uuid: string; name: string; state: string } | undefined;
    for (const r of rows) {
      const res = await fetch(`${url}api/tasks/${r.uuid}`);
      if (res.ok && ((await res.json()) as { source: string }).source === 'history') { stored = r; break; }
    }
    assert.ok(stored, `a stored SUCCESS task no longer in memory (history has ${rows.length} SUCCESS rows)`);
    const stats = await (await fetch(`${url}api/stats`)).json() as { tasksInMemory: number };
    assert.ok(stats.tasksInMemory <= 20, `the LRU holds at most 20 tasks (${stats.tasksInMemory})`);

    const { page } = browser;
    await page.goto(`${url}tasks`);
    await page.locator('[data-testid=filter-q]').waitFor();
    await page.fill('[data-testid=filter-q]', stored!.uuid.slice(0, 13));
    await page.press('[data-testid=filter-q]', 'Enter');
    const row = page.locator(`[data-testid=task-row][data-uuid="${stored!.uuid}"]`);
    await row.waitFor({ timeout: 10_000 });
    assert.ok((await row.getAttribute('class'))!.includes('from-history'));
    // The list refreshes on every shutter; a click that lands while it re-renders is lost, so click again.
    const detail = new RegExp(`/task/${stored!.uuid}$`);
    await waitUntil(async () => {
      if (!detail.test(page.url())) await row.locator('td').nth(1).click({ timeout: 5_000 }).catch(() => {});
      return page.waitForURL(detail, { timeout: 2_000 }).then(() => true, () => false);
    }, 'the task detail page opens', { timeoutMs: 30_000 });
    await page.locator('[data-testid=value-uuid]').waitFor();
    assert.equal(await page.locator('[data-testid=value-uuid]').textContent(), stored!.uuid);
    assert.equal(await page.locator('[data-testid=detail-state]').textContent(), stored!.state);
    assert.match(await page.locator('[data-testid=task-detail] .meta').textContent() ?? '', /from history/);
    await page.screenshot({ path: join(process.cwd(), 'plugins', 'camera-web', 'docs', 'task-history.png') });
    assert.deepEqual(browser.errors, []);
  });
});
