import uPlot from 'uplot';
import { getJson, type Stats, type WorkerView } from '../api.js';
import { el, formatSecs, formatTime, replaceChildren, stateClass } from '../dom.js';
import type { Page } from '../main.js';

const STATE_ORDER = ['PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'];

function chart(title: string, series: { label: string; stroke: string }[], yLabel: string): { node: HTMLElement; set(data: uPlot.AlignedData): void } {
  const holder = el('div', { class: 'chart' });
  const node = el('section', { class: 'panel' }, el('h2', {}, title), holder);
  let plot: uPlot | null = null;
  return {
    node,
    set(data) {
      if (plot === null) {
        plot = new uPlot({
          width: Math.max(320, holder.clientWidth || 560), height: 200,
          scales: { x: { time: true } },
          axes: [{}, { label: yLabel }],
          series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, points: { show: false } }))],
        }, data, holder);
      } else {
        plot.setData(data);
      }
    },
  };
}

export function overviewPage(root: HTMLElement): Page {
  const meta = el('p', { class: 'meta', testid: 'overview-meta' });
  const states = el('div', { class: 'cards', testid: 'state-counts' });
  const workers = el('div', { class: 'cards', testid: 'worker-counts' });
  const perMinute = chart('Tasks finished per minute (last hour)', [
    { label: 'finished', stroke: '#2b7bb9' }, { label: 'failed', stroke: '#c0392b' }], 'tasks');
  const failureRate = chart('Failure rate (last hour)', [{ label: 'failure %', stroke: '#c0392b' }], '%');
  const runtimes = el('tbody', { testid: 'runtimes' });
  const workerList = el('tbody', { testid: 'overview-workers' });
  root.append(
    el('h1', {}, 'Overview'), meta,
    el('section', { class: 'panel' }, el('h2', {}, 'Tasks by state'), states),
    el('section', { class: 'panel' }, el('h2', {}, 'Workers'), workers,
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'worker'), el('th', {}, 'status'), el('th', {}, 'active'), el('th', {}, 'processed'))), workerList)),
    el('div', { class: 'charts' }, perMinute.node, failureRate.node),
    el('section', { class: 'panel' }, el('h2', {}, 'Runtime by task (recent successes)'),
      el('table', {}, el('thead', {}, el('tr', {}, ...['task', 'samples', 'p50', 'p95', 'max'].map((h) => el('th', {}, h)))), runtimes)),
  );
  return {
    async refresh() {
      const [stats, w] = await Promise.all([getJson<Stats>('/api/stats'), getJson<{ workers: WorkerView[] }>('/api/workers')]);
      replaceChildren(meta, `shutter ${stats.seq} at ${formatTime(stats.takenAt)} · ${stats.tasksInMemory} tasks in memory · ` +
        `${stats.eventCount} events${stats.history ? ' · history on' : ''}`);
      const names = [...STATE_ORDER.filter((s) => s in stats.states), ...Object.keys(stats.states).filter((s) => !STATE_ORDER.includes(s))];
      replaceChildren(states, ...(names.length === 0 ? [el('p', {}, 'no tasks yet')] : names.map((s) =>
        el('a', { class: `card ${stateClass(s)}`, href: `/tasks?state=${encodeURIComponent(s)}`, testid: `state-${s}` },
          el('span', { class: 'count', testid: 'count' }, stats.states[s]), el('span', { class: 'label' }, s)))));
      replaceChildren(workers,
        el('div', { class: 'card online', testid: 'workers-online' }, el('span', { class: 'count' }, stats.workers.online), el('span', { class: 'label' }, 'online')),
        el('div', { class: 'card offline', testid: 'workers-offline' }, el('span', { class: 'count' }, stats.workers.offline), el('span', { class: 'label' }, 'offline')));
      replaceChildren(workerList, ...w.workers.map((x) => el('tr', {},
        el('td', {}, x.hostname), el('td', {}, el('span', { class: x.alive ? 'badge online' : 'badge offline' }, x.alive ? 'online' : 'offline')),
        el('td', {}, x.active ?? '—'), el('td', {}, x.processed ?? '—'))));
      const pm = stats.perMinute;
      perMinute.set([pm.minute, pm.finished, pm.failed]);
      failureRate.set([pm.minute, pm.failureRate.map((r) => (r === null ? null : r * 100))]);
      replaceChildren(runtimes, ...stats.runtimes.map((r) => el('tr', {},
        el('td', {}, el('a', { href: `/tasks?name=${encodeURIComponent(r.name)}` }, r.name)), el('td', {}, r.count),
        el('td', {}, formatSecs(r.p50)), el('td', {}, formatSecs(r.p95)), el('td', {}, formatSecs(r.max)))));
    },
  };
}
