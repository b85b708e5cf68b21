// The only way the pages make DOM: elements with text children (textContent, never HTML),
// and links that can only point inside the dashboard.

export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  id?: string;
  /** Only same-origin paths ("/task/…"): anything else (javascript:, //host, http:) is dropped. */
  href?: string;
  title?: string;
  testid?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  for?: string;
  ariaLabel?: string;
  onclick?: (e: MouseEvent) => void;
  onchange?: (e: Event) => void;
  oninput?: (e: Event) => void;
  onsubmit?: (e: SubmitEvent) => void;
}

/** A same-origin path, or null: the dashboard never links out. */
export function safePath(href: string): string | null {
  return /^\/(?!\/)[^\s\\]*$/.test(href) ? href : null;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.id) node.id = props.id;
  if (props.title !== undefined) node.title = props.title;
  if (props.testid) node.dataset.testid = props.testid;
  if (props.ariaLabel) node.setAttribute('aria-label', props.ariaLabel);
  if (props.href !== undefined) {
    const path = safePath(props.href);
    if (path !== null) node.setAttribute('href', path);
  }
  for (const key of ['type', 'name', 'value', 'placeholder', 'for'] as const) {
    const v = props[key];
    if (v !== undefined) node.setAttribute(key, v);
  }
  if (props.onclick) node.addEventListener('click', props.onclick as EventListener);
  if (props.onchange) node.addEventListener('change', props.onchange);
  if (props.oninput) node.addEventListener('input', props.oninput);
  if (props.onsubmit) node.addEventListener('submit', props.onsubmit as EventListener);
  append(node, children);
  return node;
}

export function append(node: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

export function replaceChildren(node: Element, ...children: Child[]): void {
  node.replaceChildren();
  append(node, children);
}

/** Epoch seconds as UTC "2026-12-02 16:01:15.123", or "—". */
export function formatTime(t: number | null | undefined): string {
  if (t === null || t === undefined) return '—';
  return new Date(t * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

export function formatSecs(s: number | null | undefined): string {
  if (s === null || s === undefined) return '—';
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  if (s < 120) return `${s.toFixed(2)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export const stateClass = (state: string | null): string => `state state-${(state ?? 'unknown').toLowerCase().replace(/[^a-z]/g, '')}`;
