import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AbortError, backoffDelay, retry } from './index.js';

describe('backoffDelay', () => {
  test('capped exponential, with jitter between half and all of the step', () => {
    const lo = (n: number) => backoffDelay(n, { min: 0.5, max: 30 }, () => 0);
    const hi = (n: number) => backoffDelay(n, { min: 0.5, max: 30 }, () => 1);
    assert.deepEqual([1, 2, 3, 4].map(hi), [0.5, 1, 2, 4]);
    assert.deepEqual([1, 2, 3, 4].map(lo), [0.25, 0.5, 1, 2]);
    assert.equal(hi(50), 30, 'capped at max');
    assert.equal(lo(1000), 15, 'never below half the cap once capped');
  });
});

describe('retry', () => {
  test('retries until fn resolves, reporting each failure with the delay it will wait', async () => {
    const seen: [number, number][] = [];
    let calls = 0;
    const value = await retry(() => { if (++calls < 3) throw new Error(`down ${calls}`); return 'up'; }, {
      min: 0.001, max: 0.004, onFailedAttempt: ({ attemptNumber, delaySecs }) => { seen.push([attemptNumber, delaySecs]); },
    });
    assert.equal(value, 'up');
    assert.equal(calls, 3);
    assert.deepEqual(seen.map(([n]) => n), [1, 2]);
    assert.ok(seen.every(([n, d]) => d >= 0.001 * 2 ** (n - 1) / 2 && d <= 0.001 * 2 ** (n - 1)));
  });

  test('gives up after `retries`, on AbortError, or when shouldRetry says so', async () => {
    let calls = 0;
    await assert.rejects(retry(() => { calls++; throw new Error('down'); }, { retries: 2, min: 0.001 }), /down/);
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(retry(() => { calls++; throw new AbortError('fatal'); }, { min: 0.001 }), /fatal/);
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(retry(() => { calls++; throw new Error('bad password'); }, { min: 0.001, shouldRetry: () => false }), /bad password/);
    assert.equal(calls, 1);
  });

  test('an aborted signal stops the waiting and the retrying', async () => {
    const abort = new AbortController();
    let calls = 0;
    const run = retry(() => { calls++; throw new Error('down'); }, { min: 60, max: 60, signal: abort.signal });
    setImmediate(() => abort.abort(new Error('closing')));
    await assert.rejects(run, /closing|down/);
    assert.equal(calls, 1);
  });
});
