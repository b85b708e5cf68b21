import { getJson, type Stats, type TaskPage, type TaskRow } from '../api.js';
import { el, formatSecs, formatTime, replaceChildren, stateClass } from '../dom.js';
import { navigate, requestRefresh, type Page } from '../main.js';

const STATES = ['PENDING', 'RECEIVED', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'];
const WINDOWS: [string, string][] = [['', 'any time'], ['5m', 'last 5 min'], ['15m', 'last 15 min'], ['1h', 'last hour'], ['6h', 'last 6 h'], ['24h', 'last 24 h'], ['7d', 'last 7 days']];
const SORTS: [string, string][] = [['-timestamp', 'last event, newest'], ['timestamp', 'last event, oldest'], ['-received', 'received, newest'],
  ['-started', 'started, newest'], ['-runtime', 'runtime, longest'], ['runtime', 'runtime, shortest'], ['name', 'name'], ['state', 'state'], ['worker', 'worker']];
const FILTERS = ['state', 'name', 'worker', 'queue', 'since', 'q', 'sort'] as const;

function select(name: string, options: [string, string][], value: string): HTMLSelectElement {
  const s = el('select', { name, testid: `filter-${name}`, ariaLabel: name });
  for (const [v, label] of options) s.append(el('option', { value: v }, label));
  s.value = options.some(([v]) => v === value) ? value : '';
  return s;
}

export function tasksPage(root: HTMLElement, url: URL): Page {
  let params = url.searchParams;
  const value = (k: string): string => params.get(k) ?? '';
  const form = el('form', { class: 'filters', testid: 'filters' });
  const body = el('tbody', { testid: 'tasks' });
  const summary = el('p', { class: 'meta', testid: 'tasks-summary' });
  const pager = el('div', { class: 'pager' });
  root.append(el('h1', {}, 'Tasks'), form, summary,
    el('table', { class: 'tasks' }, el('thead', {}, el('tr', {}, ...['uuid', 'name', 'state', 'worker', 'queue', 'received', 'started', 'runtime', 'args', 'kwargs', 'result']
      .map((h) => el('th', {}, h)))), body), pager);

  let names: string[] = [];
  let queues: string[] = [];
  let workers: string[] = [];
  let formBuilt = false;

  const current = (): URLSearchParams => {
    const p = new URLSearchParams();
    for (const k of FILTERS) {
      const input = form.elements.namedItem(k) as HTMLInputElement | HTMLSelectElement | null;
      const v = input?.value.trim() ?? value(k);
      if (v !== '' && !(k === 'sort' && v === '-timestamp')) p.set(k, v);
    }
    return p;
  };
  // Filters change the address (shareable, back button) and re-read the page without rebuilding the form.
  const apply = (): void => {
    params = current();
    history.replaceState(null, '', `/tasks${params.size ? `?${params}` : ''}`);
    requestRefresh();
  };

  function buildForm(): void {
    const opts = (list: string[], any: string): [string, string][] => [['', any], ...list.map((v): [string, string] => [v, v])];
    const withCurrent = (list: string[], v: string): string[] => (v && !list.includes(v) ? [v, ...list] : list);
    const search = el('input', { type: 'search', name: 'q', value: value('q'), placeholder: 'search uuid, args, kwargs, result, exception', testid: 'filter-q' });
    let timer: number | undefined;
    search.addEventListener('input', () => { clearTimeout(timer); timer = window.setTimeout(apply, 300); });
    replaceChildren(form,
      select('state', opts(STATES, 'any state'), value('state')),
      select('name', opts(withCurrent(names, value('name')), 'any task'), value('name')),
      select('worker', opts(withCurrent(workers, value('worker')), 'any worker'), value('worker')),
      select('queue', opts(withCurrent(queues, value('queue')), 'any queue'), value('queue')),
      select('since', WINDOWS, value('since')),
      select('sort', SORTS, value('sort') || '-timestamp'),
      search,
    );
    form.addEventListener('change', (e) => { if ((e.target as Element).tagName === 'SELECT') apply(); });
    form.addEventListener('submit', (e) => { e.preventDefault(); apply(); });
    formBuilt = true;
  }

  const cell = (text: string | number | null, cls = ''): HTMLTableCellElement => el('td', { class: cls }, text ?? '—');

  function row(t: TaskRow): HTMLTableRowElement {
    const href = `/task/${encodeURIComponent(t.uuid)}`;
    const tr = el('tr', { class: 'clickable', testid: 'task-row' },
      el('td', { class: 'mono' }, el('a', { href, testid: 'task-link' }, t.uuid)),
      cell(t.name),
      el('td', {}, el('span', { class: stateClass(t.state), testid: 'task-state' }, t.state)),
      cell(t.worker, 'mono'), cell(t.queue),
      cell(formatTime(t.received)), cell(formatTime(t.started)), cell(formatSecs(t.runtime)),
      cell(t.args, 'code'), cell(t.kwargs, 'code'), cell(t.result ?? t.exception, 'code'));
    tr.dataset.uuid = t.uuid;
    if (t.source === 'history') tr.classList.add('from-history');
    tr.addEventListener('click', (e) => { if (!(e.target as Element).closest('a')) navigate(href); });
    return tr;
  }

  return {
    async refresh() {
      const query = new URLSearchParams(params);
      const [page, stats, w] = await Promise.all([
        getJson<TaskPage>(`/api/tasks?${query}`),
        formBuilt ? Promise.resolve(null) : getJson<Stats>('/api/stats'),
        formBuilt ? Promise.resolve(null) : getJson<{ workers: { hostname: string }[] }>('/api/workers'),
      ]);
      if (stats && w) {
        names = stats.names; queues = stats.queues; workers = w.workers.map((x) => x.hostname);
        buildForm();
      }
      replaceChildren(body, ...(page.tasks.length === 0 ? [el('tr', {}, el('td', { testid: 'no-tasks' }, 'no task matches'))] : page.tasks.map(row)));
      replaceChildren(summary, `${page.tasks.length} shown · ${page.matchedInMemory} matching in memory${page.history ? ' (history searched too)' : ''}`);
      const links = [];
      if (params.has('cursor')) {
        const first = new URLSearchParams(params);
        first.delete('cursor');
        links.push(el('a', { href: `/tasks?${first}`, testid: 'first-page' }, '« first page'));
      }
      if (page.next !== null) {
        const next = new URLSearchParams(params);
        next.set('cursor', page.next);
        links.push(el('a', { href: `/tasks?${next}`, testid: 'next-page' }, 'next page »'));
      }
      replaceChildren(pager, ...links);
    },
  };
}
