// The web camera in real headless Chromium against a real kernel fed by the shipped capture:
// the Overview's counts are the golden's, the FAILURE filter lists exactly the failed tasks,
// a detail page shows the traceback and the parent/children links; hostile task fields render
// as text and run nothing; auth answers 401/200; a non-loopback bind without auth refuses to start.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitUntil } from '@evcam/camera-testkit';
import { hashPassword } from '@evcam/camera-web';
import { openBrowser, type BrowserRun } from './helpers/browser.js';
import { eventMessage } from './helpers/celery.js';
import { readJson, type Golden } from './helpers/golden.js';
import { runKernel, startKernel, type KernelRun } from './helpers/kernel-process.js';
import { fixture, ROOT } from './helpers/paths.js';
import { createVhost, publishCaptured, type CapturedMessage } from './helpers/rabbit.js';

const SCREENSHOTS = join(ROOT, 'plugins', 'camera-web', 'docs');

async function startDashboard(brokerUrl: string, options: string[] = []): Promise<{ kernel: KernelRun; url: string }> {
  const kernel = startKernel(['-b', brokerUrl, '--camera', 'web', '--camera-option', 'port=0', ...options.flatMap((o) => ['--camera-option', o]), '-F', '0.5']);
  await kernel.waitFor('consuming Celery events');
  await kernel.waitFor(/dashboard at (\S+)/);
  return { kernel, url: /dashboard at (\S+)/.exec(kernel.stdout())![1] };
}

async function stats(url: string, headers: Record<string, string> = {}): Promise<{ eventCount: number; tasksInMemory: number; states: Record<string, number> }> {
  return (await fetch(`${url}api/stats`, { headers })).json() as never;
}

function capture(name: string): CapturedMessage[] {
  return readFileSync(fixture(name), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CapturedMessage);
}

describe('web dashboard fed by the shipped capture', () => {
  const golden = readJson<Golden>(fixture('rabbitmq-5.2.6.golden.json'));
  const goldenStates: Record<string, number> = {};
  for (const t of Object.values(golden.tasks)) goldenStates[String(t.state)] = (goldenStates[String(t.state)] ?? 0) + 1;
  let vhost: ReturnType<typeof createVhost>;
  let kernel: KernelRun;
  let url: string;
  let browser: BrowserRun;

  before(async () => {
    vhost = createVhost('evcam-web');
    ({ kernel, url } = await startDashboard(vhost.url));
    await publishCaptured(vhost.url, capture('rabbitmq-5.2.6.jsonl'));
    await waitUntil(async () => (await stats(url)).eventCount === golden.event_count, 'every captured event folded and shuttered', { timeoutMs: 30_000 });
    browser = await openBrowser();
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await kernel?.stop();
    vhost?.remove();
  });

  test('Overview: counts by state are the golden\'s', async () => {
    const { page } = browser;
    await page.goto(url);
    await page.locator('[data-testid=state-counts] [data-testid^=state-]').first().waitFor();
    const shown: Record<string, number> = {};
    for (const card of await page.locator('[data-testid=state-counts] [data-testid^=state-]').all()) {
      const state = (await card.getAttribute('data-testid'))!.slice('state-'.length);
      shown[state] = Number(await card.locator('[data-testid=count]').textContent());
    }
    assert.deepEqual(shown, goldenStates);
    assert.equal(await page.locator('[data-testid=workers-offline] .count').textContent(), String(Object.keys(golden.workers).length));
    assert.equal(await page.locator('.uplot canvas').count() >= 2, true, 'both charts drawn by uPlot');
    await page.screenshot({ path: join(SCREENSHOTS, 'overview.png'), fullPage: true });
  });

  test('Tasks: the FAILURE filter lists exactly the failed tasks', async () => {
    const { page } = browser;
    await page.goto(`${url}tasks`);
    await page.locator('[data-testid=filter-state]').waitFor();
    await page.selectOption('[data-testid=filter-state]', 'FAILURE');
    await page.waitForURL(/state=FAILURE/);
    const failed = Object.values(golden.tasks).filter((t) => t.state === 'FAILURE').map((t) => String(t.uuid)).sort();
    await waitUntil(async () => (await page.locator('[data-testid=task-row]').count()) === failed.length
      && (await page.locator('[data-testid=task-state]').allTextContents()).every((s) => s === 'FAILURE'), 'only FAILURE rows', { timeoutMs: 10_000 });
    const listed = (await page.locator('[data-testid=task-row]').evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { uuid: string } }).dataset.uuid))).sort();
    assert.deepEqual(listed, failed);
    await page.screenshot({ path: join(SCREENSHOTS, 'tasks.png'), fullPage: false });
  });

  test('Task detail: traceback and timeline; parent and children links', async () => {
    const { page } = browser;
    const failed = Object.values(golden.tasks).find((t) => t.state === 'FAILURE' && t.traceback)!;
    await page.goto(`${url}tasks?state=FAILURE`);
    await page.locator(`[data-testid=task-row][data-uuid="${String(failed.uuid)}"] td:nth-child(2)`).click(); // a row opens its task
    await page.waitForURL(new RegExp(`/task/${String(failed.uuid)}$`));
    await page.locator('[data-testid=traceback]').waitFor();
    assert.equal(await page.locator('[data-testid=traceback]').textContent(), failed.traceback);
    assert.equal(await page.locator('[data-testid=detail-state]').textContent(), 'FAILURE');
    assert.ok((await page.locator('[data-testid=timeline] li').allTextContents()).some((s) => s.startsWith('FAILURE')));
    await page.screenshot({ path: join(SCREENSHOTS, 'task.png'), fullPage: true });

    // A spawned task: its parent is another task, which lists it among its children.
    const child = Object.values(golden.tasks).find((t) => t.parent_id && t.parent_id !== t.uuid && golden.tasks[String(t.parent_id)])!;
    const parent = golden.tasks[String(child.parent_id)];
    await page.goto(`${url}task/${String(child.uuid)}`);
    await page.locator('[data-testid=parent-link]').waitFor();
    assert.equal(await page.locator('[data-testid=parent-link]').getAttribute('href'), `/task/${String(parent.uuid)}`);
    if (child.root_id !== child.uuid) assert.equal(await page.locator('[data-testid=root-link]').textContent(), child.root_id);
    await page.locator('[data-testid=parent-link]').click();
    await page.waitForURL(new RegExp(`/task/${String(parent.uuid)}$`));
    await page.locator('[data-testid=child-link]').first().waitFor();
    const children = await page.locator('[data-testid=child-link]').allTextContents();
    assert.deepEqual(children, [...(parent.children as string[])].sort());
    assert.ok(children.includes(String(child.uuid)));
    await page.screenshot({ path: join(SCREENSHOTS, 'task-links.png'), fullPage: false });
  });

  test('Workers: every worker with Celery\'s fields', async () => {
    const { page } = browser;
    await page.goto(`${url}workers`);
    await page.locator('[data-testid^="worker-"]').first().waitFor();
    for (const [hostname, w] of Object.entries(golden.workers)) {
      const row = page.locator(`[data-testid="worker-${hostname}"]`);
      assert.equal(await row.locator('[data-testid=processed]').textContent(), String(w.processed));
      assert.equal(await row.locator('[data-testid=status]').textContent(), 'offline', 'the capture\'s workers stopped long ago');
    }
    await page.screenshot({ path: join(SCREENSHOTS, 'workers.png'), fullPage: true });
  });

  test('no console error, page error or dialog on any page (uPlot under the CSP included)', () => {
    assert.deepEqual(browser.errors, []);
    assert.deepEqual(browser.dialogs, []);
    assert.deepEqual(browser.console.filter((m) => m.startsWith('error')), []);
  });
});

describe('web dashboard: hostile task fields', () => {
  const big = 'A'.repeat(1024 * 1024);
  const hostile = {
    args: '(\'<script>window.__pwned = "args"</script>\',)',
    kwargs: '{\'html\': \'<img src=x onerror="window.__pwned = \\\'kwargs\\\'; alert(1)">\', \'link\': \'javascript:alert(2)\'}',
    exception: 'ValueError(\'<svg onload=alert(3)></svg>\')',
    traceback: 'Traceback (most recent call last):\n  File "<iframe src=javascript:alert(4)>", line 1\nValueError: <b onmouseover=alert(5)>x</b>',
  };
  const evilParent = 'javascript:alert(document.domain)';
  let vhost: ReturnType<typeof createVhost>;
  let kernel: KernelRun;
  let url: string;
  let browser: BrowserRun;

  before(async () => {
    vhost = createVhost('evcam-web-xss');
    ({ kernel, url } = await startDashboard(vhost.url));
    const at = Date.now() / 1000;
    const common = { hostname: 'w<i>1</i>@lab', utcoffset: 0, pid: 1, clock: 1 };
    const events = [
      { ...common, type: 'task-received', uuid: 'evil-1', name: '<img src=x onerror=alert(6)>', ...hostile, parent_id: evilParent, root_id: evilParent,
        retries: 0, eta: null, expires: null, timestamp: at },
      { ...common, type: 'task-failed', uuid: 'evil-1', exception: hostile.exception, traceback: hostile.traceback, timestamp: at + 0.1 },
      { ...common, type: 'task-received', uuid: 'big-1', name: 'tasks.big', args: `('${big}',)`, kwargs: '{}', retries: 0, eta: null, expires: null, timestamp: at },
      { ...common, type: 'task-succeeded', uuid: 'big-1', result: `'${big}'`, runtime: 0.01, timestamp: at + 0.2 },
    ];
    await publishCaptured(vhost.url, events.map((e) => eventMessage(e)));
    await waitUntil(async () => (await stats(url)).tasksInMemory === 2, 'both hostile tasks shuttered', { timeoutMs: 30_000 });
    browser = await openBrowser();
    await browser.page.addInitScript(() => { (globalThis as unknown as { __pwned?: string }).__pwned = undefined; });
  });

  after(async () => {
    await browser?.close();
    await kernel?.stop();
    vhost?.remove();
  });

  test('shown as text on every page; no script, no element, no outside link from them', async () => {
    const { page } = browser;
    for (const path of ['', 'workers', 'tasks', 'tasks?q=script', 'task/evil-1', 'task/big-1']) {
      // The page's data comes from the JSON API: wait for that answer and a rendered frame (not for network
      // idle, which live pages refetching after every shutter never reach).
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/api/') && !r.url().includes('/api/events'));
      await page.goto(`${url}${path}`);
      await answered;
      await page.locator('main h1').waitFor();
      await page.evaluate(() => new Promise<void>((done) => {
        const frame = (globalThis as unknown as { requestAnimationFrame(cb: () => void): void }).requestAnimationFrame;
        frame(() => frame(done));
      }));
      assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: string }).__pwned), undefined, `${path}: no injected script ran`);
      assert.equal(await page.locator('main img, main script, main iframe, main svg, main b, main i').count(), 0, `${path}: no element from a task field`);
      const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
      assert.ok(hrefs.every((h) => h.startsWith('/') && !h.startsWith('//')), `${path}: links stay in the dashboard: ${hrefs.join(' ')}`);
    }
    await page.goto(`${url}task/evil-1`);
    await page.locator('[data-testid=traceback]').waitFor();
    assert.equal(await page.locator('[data-testid=traceback]').textContent(), hostile.traceback);
    assert.equal(await page.locator('[data-testid=value-args]').textContent(), hostile.args);
    assert.equal(await page.locator('[data-testid=value-kwargs]').textContent(), hostile.kwargs);
    assert.equal(await page.locator('[data-testid=value-exception]').textContent(), hostile.exception);
    assert.equal(await page.locator('[data-testid=task-title]').evaluate((h) => h.firstChild?.textContent), '<img src=x onerror=alert(6)>');
    assert.equal(await page.locator('[data-testid=parent-link]').getAttribute('href'), `/task/${encodeURIComponent(evilParent)}`);
    await page.goto(`${url}tasks?q=${encodeURIComponent('<script>')}`);
    await page.locator('[data-testid=task-row]').first().waitFor();
    assert.deepEqual(await page.locator('[data-testid=task-row]').evaluateAll((rs) => rs.map((r) => (r as unknown as { dataset: { uuid: string } }).dataset.uuid)), ['evil-1']);
  });

  test('a 1 MB result: cut in the list, whole on the detail page', async () => {
    const { page } = browser;
    await page.goto(`${url}tasks?name=tasks.big`);
    await page.locator('[data-testid=task-row]').first().waitFor();
    const cell = await page.locator('[data-testid=task-row] td.code').last().textContent();
    assert.ok(cell!.length < 300, 'the list shows a preview');
    await page.goto(`${url}task/big-1`);
    await page.locator('[data-testid=value-result]').waitFor();
    assert.equal(await page.locator('[data-testid=value-result]').evaluate((p) => p.textContent!.length), big.length + 2);
  });

  test('no dialog, no page error', () => {
    assert.deepEqual(browser.dialogs, []);
    assert.deepEqual(browser.errors, []);
  });
});

describe('web dashboard: authentication', () => {
  test('basic auth: 401 without credentials, 200 and the page with them', async () => {
    const vhost = createVhost('evcam-web-auth');
    const users = JSON.stringify({ ops: await hashPassword('s3cret-pass') });
    const { kernel, url } = await startDashboard(vhost.url, [`users=${users}`]);
    const browser = await openBrowser({ httpCredentials: { username: 'ops', password: 's3cret-pass' } });
    try {
      for (const path of ['', 'api/tasks', 'api/events', 'assets/app.js']) assert.equal((await fetch(`${url}${path}`)).status, 401, path);
      const wrong = `Basic ${Buffer.from('ops:wrong').toString('base64')}`;
      assert.equal((await fetch(`${url}api/stats`, { headers: { Authorization: wrong } })).status, 401);
      const ok = await browser.page.goto(url);
      assert.equal(ok!.status(), 200);
      await browser.page.locator('[data-testid=live]').filter({ hasText: 'live' }).waitFor();
    } finally {
      await browser.close();
      await kernel.stop();
      vhost.remove();
    }
  });

  test('a non-loopback bind without token or users refuses to start: coded config error, exit 78', async () => {
    const run = await runKernel(['--camera', 'web', '--camera-option', 'host=0.0.0.0', '--camera-option', 'port=0'], { timeoutMs: 30_000 });
    assert.equal(run.code, 78);
    assert.match(run.stderr, /EVCAM_ERR_CAMERA_OPTIONS/);
    assert.match(run.stderr, /host: "0\.0\.0\.0" is not a loopback address and the dashboard has no authentication/);
    assert.doesNotMatch(run.stdout, /dashboard at/);
  });
});
