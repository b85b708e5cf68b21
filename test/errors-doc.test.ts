// docs/errors.md promises every error code evcam can report, with what to do.
// Scans the shipped sources (not tests) so a new code cannot land undocumented.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.js';

const CODE = /EVCAM_ERR_[A-Z0-9_]+/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'fixtures'].includes(entry.name)) out.push(...sourceFiles(path));
    } else if (/\.(ts|mts|js|mjs)$/.test(entry.name) && !/\.test\.|\.d\.ts$/.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

function codesInSource(): Map<string, string> {
  const where = new Map<string, string>();
  for (const group of ['packages', 'plugins']) {
    for (const pkg of readdirSync(join(ROOT, group))) {
      const src = join(ROOT, group, pkg, 'src');
      let files: string[];
      try { files = sourceFiles(src); } catch { continue; }
      for (const file of files) {
        for (const [code] of readFileSync(file, 'utf8').matchAll(CODE)) if (!where.has(code)) where.set(code, file.slice(ROOT.length));
      }
    }
  }
  return where;
}

/** Rows of the table in docs/errors.md: code → the row's cells after the code. */
function documentedCodes(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const code = /^`(EVCAM_ERR_[A-Z0-9_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code) rows.set(code, cells.slice(2, -1));
  }
  return rows;
}

test('every EVCAM_ERR_ code in the source is listed in docs/errors.md', () => {
  const documented = documentedCodes();
  const missing = [...codesInSource()].filter(([code]) => !documented.has(code)).map(([code, file]) => `${code} (${file})`);
  assert.deepEqual(missing, [], `add a row to docs/errors.md for: ${missing.join(', ')}`);
});

test('docs/errors.md lists no code the source does not have, and says when and what to do for each', () => {
  const source = codesInSource();
  assert.ok(source.size >= 10, `expected the kernel's codes, found ${source.size}`);
  for (const [code, [when, todo]] of documentedCodes()) {
    assert.ok(source.has(code), `docs/errors.md lists ${code}, which no source file uses`);
    assert.ok(when && when.length > 10, `${code}: the "when" cell is empty`);
    assert.ok(todo && todo.length > 10, `${code}: the "what to do" cell is empty`);
  }
});
