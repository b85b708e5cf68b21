import { getJson, type TaskDetail } from '../api.js';
import { el, formatSecs, formatTime, replaceChildren, stateClass } from '../dom.js';
import type { Page } from '../main.js';

const TIME_FIELDS = new Set(['sent', 'received', 'started', 'rejected', 'succeeded', 'failed', 'retried', 'revoked', 'timestamp']);
const LONG_FIELDS = new Set(['args', 'kwargs', 'result', 'exception', 'traceback', 'eta', 'expires']);
const SKIP = new Set(['root', 'parent', 'children', 'traceback']);

export function taskPage(root: HTMLElement, url: URL): Page {
  const uuid = decodeURIComponent(url.pathname.slice('/task/'.length));
  const title = el('h1', { testid: 'task-title' }, 'Task ', el('span', { class: 'mono' }, uuid));
  const body = el('div', { testid: 'task-detail' });
  root.append(title, body);

  const link = (id: string, detail: TaskDetail, testid: string): HTMLElement => {
    const r = detail.related[id];
    return el('li', {}, el('a', { href: `/task/${encodeURIComponent(id)}`, class: 'mono', testid }, id),
      r ? el('span', {}, ' ', r.name ?? '?', ' ', el('span', { class: stateClass(r.state) }, r.state), r.source === 'history' ? ' (history)' : '')
        : el('span', { class: 'dim' }, ' (not in memory or history)'));
  };

  return {
    async refresh() {
      const d = await getJson<TaskDetail>(`/api/tasks/${encodeURIComponent(uuid)}`);
      const t = d.task;
      replaceChildren(title, t.name ?? 'Task', ' ', el('span', { class: stateClass(t.state), testid: 'detail-state' }, t.state));
      const fields = el('tbody', { testid: 'fields' });
      for (const [k, v] of Object.entries(t)) {
        if (SKIP.has(k)) continue;
        let shown: string;
        if (v === null || v === undefined) shown = '—';
        else if (TIME_FIELDS.has(k) && typeof v === 'number') shown = `${formatTime(v)}  (${v})`;
        else if (k === 'runtime' && typeof v === 'number') shown = formatSecs(v);
        else shown = typeof v === 'string' ? v : JSON.stringify(v);
        fields.append(el('tr', { testid: `field-${k}` }, el('th', {}, k),
          el('td', {}, LONG_FIELDS.has(k) ? el('pre', { class: 'code', testid: `value-${k}` }, shown) : el('span', { testid: `value-${k}` }, shown))));
      }
      const relations = el('ul', { class: 'links', testid: 'relations' });
      if (t.root_id && t.root_id !== t.uuid) relations.append(el('li', { class: 'label' }, 'root'), link(t.root_id, d, 'root-link'));
      if (t.parent_id) relations.append(el('li', { class: 'label' }, 'parent'), link(t.parent_id, d, 'parent-link'));
      if (t.children.length > 0) {
        relations.append(el('li', { class: 'label' }, `children (${t.children.length})`));
        for (const c of t.children) relations.append(link(c, d, 'child-link'));
      }
      replaceChildren(body,
        el('p', { class: 'meta mono' }, t.uuid, d.source === 'history' ? ' · from history (no longer in memory)' : ''),
        el('section', { class: 'panel' }, el('h2', {}, 'Timeline'),
          el('ol', { class: 'timeline', testid: 'timeline' }, ...d.timeline.map((s) =>
            el('li', {}, el('span', { class: stateClass(s.state) }, s.state), ' ', formatTime(s.at))))),
        relations.childElementCount > 0 ? el('section', { class: 'panel' }, el('h2', {}, 'Related tasks'), relations) : null,
        t.traceback ? el('section', { class: 'panel' }, el('h2', {}, 'Traceback'), el('pre', { class: 'code traceback', testid: 'traceback' }, t.traceback)) : null,
        el('section', { class: 'panel' }, el('h2', {}, 'Fields'), el('table', { class: 'fields' }, fields)),
      );
    },
  };
}
