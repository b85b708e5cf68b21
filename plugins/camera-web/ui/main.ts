import { el, replaceChildren } from './dom.js';
import { overviewPage } from './pages/overview.js';
import { taskPage } from './pages/task.js';
import { tasksPage } from './pages/tasks.js';
import { workersPage } from './pages/workers.js';

/** A mounted page: `refresh` re-reads its data (after each shutter), `dispose` tears it down. */
export interface Page {
  refresh(): Promise<void>;
  dispose?(): void;
}

export type PageFactory = (root: HTMLElement, url: URL) => Page;

const NAV: [string, string][] = [['/', 'Overview'], ['/workers', 'Workers'], ['/tasks', 'Tasks']];

function pageFor(path: string): PageFactory {
  if (path === '/workers') return workersPage;
  if (path === '/tasks') return tasksPage;
  if (path.startsWith('/task/')) return taskPage;
  return overviewPage;
}

const main = el('main', { id: 'page' });
const live = el('span', { class: 'live off', testid: 'live' }, 'connecting…');
const nav = el('nav', {}, ...NAV.map(([href, label]) => el('a', { href, testid: `nav-${label.toLowerCase()}` }, label)));
document.body.replaceChildren(el('header', {}, el('a', { class: 'brand', href: '/' }, 'evcam'), nav, live), main);

let current: Page | null = null;
let refreshing: Promise<void> | null = null;
let again = false;

/** Refresh the page: at most one request wave at a time, one more queued. */
export function requestRefresh(): void {
  refresh();
}

function refresh(): void {
  if (refreshing) { again = true; return; }
  refreshing = (current?.refresh() ?? Promise.resolve()).catch((err: Error) => showError(err)).finally(() => {
    refreshing = null;
    if (again) { again = false; refresh(); }
  });
}

function showError(err: Error): void {
  const box = document.getElementById('error') ?? main.insertBefore(el('p', { id: 'error', class: 'error', testid: 'error' }), main.firstChild);
  replaceChildren(box, err.message);
}

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  route();
}

function route(): void {
  current?.dispose?.();
  const url = new URL(location.href);
  for (const a of nav.querySelectorAll('a')) {
    const href = a.getAttribute('href')!;
    a.classList.toggle('active', href === '/' ? url.pathname === '/' : url.pathname.startsWith(href.replace(/s$/, '')));
  }
  main.replaceChildren();
  current = pageFor(url.pathname)(main, url);
  refresh();
}

// Same-origin links navigate in place.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const href = a.getAttribute('href');
  if (href === null || !href.startsWith('/')) return;
  e.preventDefault();
  navigate(href);
});
window.addEventListener('popstate', route);

/** Live updates: the server says when a shutter was stored; the page re-reads what it shows. */
function connect(): void {
  const source = new EventSource('/api/events');
  source.addEventListener('hello', () => { live.className = 'live on'; live.textContent = 'live'; });
  source.addEventListener('shutter', (e) => {
    const { seq } = JSON.parse((e as MessageEvent<string>).data) as { seq: number };
    live.className = 'live on';
    live.textContent = `live · shutter ${seq}`;
    document.body.dataset.seq = String(seq);
    refresh();
  });
  source.onerror = () => { live.className = 'live off'; live.textContent = 'reconnecting…'; };
}

route();
connect();
