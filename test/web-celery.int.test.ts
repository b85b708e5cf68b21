// The web camera with a real Celery worker: a task sent while the Tasks page is open appears
// on it without a reload (server-sent events after the shutter), and the worker shows online.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@evcam/camera-testkit';
import { openBrowser, type BrowserRun } from './helpers/browser.js';
import { celeryClient, startWorker, type WorkerRun } from './helpers/celery.js';
import { startKernel, type KernelRun } from './helpers/kernel-process.js';
import { createVhost } from './helpers/rabbit.js';

describe('web dashboard with a real Celery worker', () => {
  let vhost: ReturnType<typeof createVhost>;
  let kernel: KernelRun;
  let worker: WorkerRun;
  let browser: BrowserRun;
  let url: string;

  before(async () => {
    vhost = createVhost('evcam-web-celery');
    kernel = startKernel(['-b', vhost.url, '--camera', 'web', '--camera-option', 'port=0', '-F', '0.5']);
    await kernel.waitFor('consuming Celery events');
    await kernel.waitFor(/dashboard at (\S+)/);
    url = /dashboard at (\S+)/.exec(kernel.stdout())![1];
    worker = startWorker(vhost.url, 'w1');
    browser = await openBrowser();
  });

  after(async () => {
    await browser?.close();
    await worker?.stop('SIGTERM');
    await kernel?.stop();
    vhost?.remove();
  });

  test('the worker comes online on the Workers page without reload', async () => {
    const { page } = browser;
    await page.goto(`${url}workers`);
    await page.locator(`[data-testid="worker-${worker.hostname}"] [data-testid=status]`).filter({ hasText: 'online' })
      .waitFor({ timeout: 60_000 });
  });

  test('a new task appears on the Tasks page without reload', async () => {
    const { page } = browser;
    await page.goto(`${url}tasks`);
    await page.locator('[data-testid=live]').filter({ hasText: 'live' }).waitFor();
    await page.evaluate(() => { (globalThis as unknown as { __sameDocument: boolean }).__sameDocument = true; });
    const [id] = await celeryClient(vhost.url, [{ op: 'send', name: 'tasks.add', args: [20, 22] }]) as string[];
    const row = page.locator(`[data-testid=task-row][data-uuid="${id}"]`);
    await row.waitFor({ timeout: 30_000 });
    await waitUntil(async () => (await row.locator('[data-testid=task-state]').textContent()) === 'SUCCESS', 'the row turns SUCCESS', { timeoutMs: 30_000 });
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'no reload happened');
    assert.equal(await row.locator('td').nth(1).textContent(), 'tasks.add');
    assert.deepEqual(browser.errors, []);
    assert.deepEqual(browser.console.filter((m) => m.startsWith('error')), []);
  });
});
