import assert from 'node:assert/strict';
import { test } from 'node:test';
import { historyKey, latestKey, parseHistoryKey } from './layout.js';

test('history keys: <prefix>YYYY/MM/DD/HH/<12-digit seq>-<ISO time>.json[.gz], UTC', () => {
  assert.equal(historyKey('evcam/', 42, 1795514300.12, true), 'evcam/2026/11/24/09/000000000042-2026-11-24T09:58:20.120Z.json.gz');
  assert.equal(historyKey('', 7, 0, false), '1970/01/01/00/000000000007-1970-01-01T00:00:00.000Z.json');
  assert.equal(latestKey('evcam/'), 'evcam/latest.json');
});

test('lexicographic order of keys = time order, across hours, days and seq widths', () => {
  const t0 = Date.UTC(2026, 11, 31, 23, 59, 59) / 1000; // a year boundary
  const keys = [
    historyKey('p/', 9, t0, true), historyKey('p/', 10, t0 + 0.5, true), historyKey('p/', 99, t0 + 1, true),
    historyKey('p/', 100, t0 + 3600, true), historyKey('p/', 1000, t0 + 86_400 * 40, true),
  ];
  assert.deepEqual([...keys].sort(), keys);
});

test('parseHistoryKey round-trips and ignores latest.json and foreign keys', () => {
  const key = historyKey('evcam/', 123, 1795514300.5, true);
  assert.deepEqual(parseHistoryKey('evcam/', key), { seq: 123, takenAt: 1795514300.5, hourStart: Date.UTC(2026, 10, 24, 9) / 1000, gzip: true });
  assert.equal(parseHistoryKey('evcam/', 'evcam/latest.json'), null);
  assert.equal(parseHistoryKey('evcam/', 'evcam/notes/readme.txt'), null);
  assert.equal(parseHistoryKey('other/', key), null);
});
