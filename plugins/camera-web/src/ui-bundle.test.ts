import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

// public/ is committed (a fresh clone serves it with no build step): it must be what ui/ builds.
test('the committed front end (public/) is what ui/ builds', async () => {
  const buildScript = new URL('../ui/build.mjs', import.meta.url).href;
  const { buildUi } = await import(buildScript) as { buildUi: () => Promise<Record<string, string>> };
  const built = await buildUi();
  for (const [name, text] of Object.entries(built)) {
    const committed = readFileSync(fileURLToPath(new URL(`../public/${name}`, import.meta.url)), 'utf8');
    assert.ok(committed === text, `public/${name} is stale: run npm run build:ui -w @evcam/camera-web and commit public/`);
  }
  assert.doesNotMatch(built['app.js'], /innerHTML|insertAdjacentHTML|document\.write|outerHTML/, 'the pages never parse HTML');
});
