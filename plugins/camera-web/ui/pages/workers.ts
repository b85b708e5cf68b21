import { getJson, type WorkerView } from '../api.js';
import { el, formatSecs, formatTime, replaceChildren, stateClass } from '../dom.js';
import type { Page } from '../main.js';

export function workersPage(root: HTMLElement): Page {
  const body = el('tbody', { testid: 'workers' });
  root.append(el('h1', {}, 'Workers'),
    el('p', { class: 'meta' }, 'Online is Celery\'s rule: a heartbeat within 2 × the worker\'s heartbeat interval (freq), judged at each shutter.'),
    el('table', { class: 'workers' },
      el('thead', {}, el('tr', {}, ...['worker', 'status', 'last heartbeat', 'active', 'processed', 'load average', 'version', 'recent tasks']
        .map((h) => el('th', {}, h)))),
      body));
  return {
    async refresh() {
      const { workers } = await getJson<{ workers: WorkerView[] }>('/api/workers');
      if (workers.length === 0) {
        replaceChildren(body, el('tr', {}, el('td', {}, 'no worker has sent an event yet')));
        return;
      }
      replaceChildren(body, ...workers.map((w) => el('tr', { testid: `worker-${w.hostname}` },
        el('td', { class: 'mono' }, w.hostname, w.pid !== null ? el('span', { class: 'dim' }, ` pid ${w.pid}`) : null),
        el('td', {}, el('span', { class: w.alive ? 'badge online' : 'badge offline', testid: 'status' }, w.alive ? 'online' : 'offline')),
        el('td', { title: formatTime(w.lastHeartbeat) }, w.heartbeatAge === null ? 'never' : `${formatSecs(w.heartbeatAge)} ago`),
        el('td', { testid: 'active' }, w.active ?? '—'),
        el('td', { testid: 'processed' }, w.processed ?? '—'),
        el('td', {}, w.loadavg === null ? '—' : w.loadavg.map((l) => l.toFixed(2)).join(' ')),
        el('td', {}, [w.sw_ident, w.sw_ver].filter(Boolean).join(' ') || '—', w.sw_sys ? el('span', { class: 'dim' }, ` (${w.sw_sys})`) : null),
        el('td', { class: 'recent' }, ...w.recent.map((t) => el('a', { href: `/task/${encodeURIComponent(t.uuid)}`, class: stateClass(t.state), title: `${t.name ?? '?'} ${t.state ?? ''} ${formatTime(t.timestamp)}` },
          `${t.name ?? t.uuid.slice(0, 8)} · ${t.state ?? '?'}`))),
      )));
    },
  };
}
