import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@evcam/camera-api';
import { FakeHost, fixtureSnapshot, parseOptionsWith, sampleTask, sampleWorker } from '@evcam/camera-testkit';
import { hashPassword } from './auth.js';
import { optionsSchema } from './options.js';
import { CSP } from './server.js';
import { WebCamera } from './web-camera.js';

async function startCamera(options: Record<string, unknown>): Promise<{ camera: WebCamera; host: FakeHost; url: string }> {
  const host = new FakeHost();
  const camera = new WebCamera({ name: 'web', options: parseOptionsWith(optionsSchema, { port: 0, ...options }), logger: silentLogger, host });
  const write = process.stdout.write;
  process.stdout.write = () => true; // the URL line
  try {
    await camera.onInstall();
  } finally {
    process.stdout.write = write;
  }
  return { camera, host, url: camera.url! };
}

/** A raw request (fetch would not let the test set Host). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web camera: the API on loopback', () => {
  let camera: WebCamera;
  let url: string;
  before(async () => {
    ({ camera, url } = await startCamera({}));
    await camera.onShutter(fixtureSnapshot());
  });
  after(() => camera.onClose());

  test('pages and assets with a CSP that allows no inline script', async () => {
    for (const path of ['', 'tasks', 'workers', 'task/abc']) {
      const res = await get(`${url}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.body, /<script type="module" src="\/assets\/app.js"><\/script>/);
      assert.equal(res.headers['content-security-policy'], CSP);
      assert.doesNotMatch(String(res.headers['content-security-policy']), /unsafe-inline|unsafe-eval/);
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
    }
    assert.equal((await get(`${url}assets/app.js`)).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await get(`${url}nope`)).status, 404);
  });

  test('read-only: anything but GET/HEAD is 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get(`${url}api/tasks`, {}, method);
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.allow, 'GET, HEAD');
    }
  });

  test('/api/stats, /api/workers, /api/tasks, /api/tasks/:uuid', async () => {
    const s = fixtureSnapshot();
    const stats = JSON.parse((await get(`${url}api/stats`)).body);
    assert.equal(stats.tasksInMemory, Object.keys(s.tasks).length);
    assert.equal(Object.values(stats.states as Record<string, number>).reduce((a, b) => a + b, 0), Object.keys(s.tasks).length);
    assert.equal(stats.perMinute.minute.length, 60);
    const workers = JSON.parse((await get(`${url}api/workers`)).body).workers;
    assert.deepEqual(workers.map((w: { hostname: string }) => w.hostname), Object.keys(s.workers).sort());
    const failed = JSON.parse((await get(`${url}api/tasks?state=FAILURE&limit=500`)).body);
    assert.deepEqual(failed.tasks.map((t: { uuid: string }) => t.uuid).sort(),
      Object.values(s.tasks).filter((t) => t.state === 'FAILURE').map((t) => t.uuid).sort());
    const withParent = Object.values(s.tasks).find((t) => t.parent_id !== null && s.tasks[t.parent_id])!;
    const detail = JSON.parse((await get(`${url}api/tasks/${withParent.uuid}`)).body);
    assert.equal(detail.task.uuid, withParent.uuid);
    assert.equal(detail.related[withParent.parent_id!].name, s.tasks[withParent.parent_id!].name);
    assert.ok(Array.isArray(detail.timeline) && detail.timeline.length > 0);
    assert.equal((await get(`${url}api/tasks/nope`)).status, 404);
    assert.match((await get(`${url}api/tasks?sort=bogus`)).body, /sort must be one of/);
  });

  test('a Host that is not loopback is refused (DNS rebinding)', async () => {
    assert.equal((await get(`${url}api/stats`, { host: 'evil.example:80' })).status, 421);
    assert.equal((await get(`${url}api/stats`, { host: 'localhost:5555' })).status, 200);
  });

  test('server-sent events: one frame per stored shutter', async () => {
    const frames: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request(`${url}api/events`, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          frames.push(d);
          if (frames.join('').includes('event: hello')) void camera.onShutter({ ...fixtureSnapshot(2), changed: { tasks: [], workers: [] } });
          if (frames.join('').includes('event: shutter')) { req.destroy(); resolve(); }
        });
      });
      req.on('error', reject);
      req.end();
    });
    await done;
    assert.match(frames.join(''), /event: shutter\ndata: \{"seq":2,/);
  });
});

describe('web camera: authentication', () => {
  test('token: 401 without, 200 with the header, ?token= sets a cookie', async () => {
    const token = 'k'.repeat(24);
    const { camera, url } = await startCamera({ token, host: '127.0.0.1' });
    try {
      const denied = await get(`${url}api/stats`);
      assert.equal(denied.status, 401);
      assert.match(String(denied.headers['www-authenticate']), /^Bearer/);
      assert.equal((await get(`${url}`)).status, 401);
      assert.equal((await get(`${url}api/stats`, { authorization: `Bearer ${token}` })).status, 200);
      const login = await get(`${url}tasks?state=FAILURE&token=${token}`);
      assert.equal(login.status, 303);
      assert.equal(login.headers.location, '/tasks?state=FAILURE');
      const cookie = String(login.headers['set-cookie']).split(';')[0];
      assert.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
      assert.equal((await get(`${url}api/stats`, { cookie })).status, 200);
      assert.equal((await get(`${url}?token=wrong`)).status, 401);
    } finally {
      await camera.onClose();
    }
  });

  test('users: basic auth with scrypt hashes', async () => {
    const users = { ops: await hashPassword('pa55', { N: 1024, r: 8, p: 1 }) };
    const { camera, url } = await startCamera({ users });
    try {
      const denied = await get(`${url}api/workers`);
      assert.equal(denied.status, 401);
      assert.match(String(denied.headers['www-authenticate']), /^Basic realm="evcam"/);
      const auth = (p: string) => ({ authorization: `Basic ${Buffer.from(`ops:${p}`).toString('base64')}` });
      assert.equal((await get(`${url}api/workers`, auth('pa55'))).status, 200);
      assert.equal((await get(`${url}api/workers`, auth('nope'))).status, 401);
    } finally {
      await camera.onClose();
    }
  });

  test('a port in use is a start error that says what to do', async () => {
    const first = await startCamera({});
    const port = Number(new URL(first.url).port);
    const second = new WebCamera({ name: 'web', options: parseOptionsWith(optionsSchema, { port }), logger: silentLogger, host: new FakeHost() });
    await assert.rejects(second.onInstall(), (e: Error & { code?: string; retryable?: boolean }) =>
      e.code === 'EVCAM_ERR_CAMERA_START' && e.retryable === false && /port \d+ on 127.0.0.1 is in use: pick another port/.test(e.message));
    await first.camera.onClose();
  });
});

describe('web camera: shutters', () => {
  test('worker views: heartbeat age from the camera clock, recent tasks', async () => {
    const { camera, host, url } = await startCamera({});
    try {
      host.setWorker(sampleWorker('w1@lab', { heartbeats: [host.now - 3] }));
      host.setTask(sampleTask('t-1'));
      await camera.onShutter(host.takeSnapshot(0, 1).snapshot);
      const [w] = JSON.parse((await get(`${url}api/workers`)).body).workers;
      assert.equal(w.heartbeatAge, 3);
      assert.deepEqual(w.recent.map((t: { uuid: string }) => t.uuid), ['t-1']);
    } finally {
      await camera.onClose();
    }
  });
});
