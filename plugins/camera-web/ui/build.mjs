// Builds the dashboard's front end into public/ (committed, so a fresh clone serves it without a build):
// ui/main.ts + uPlot -> public/app.js, ui/style.css + uPlot's CSS -> public/app.css, index.html and the icon copied.
// `npm run build:ui -w @evcam/camera-web`; `--check` fails when public/ is not what the sources build.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = dirname(fileURLToPath(import.meta.url));
const out = join(ui, '..', 'public');
const uplotCss = join(dirname(createRequire(import.meta.url).resolve('uplot')), 'uPlot.min.css');

export async function buildUi() {
  const js = await build({
    entryPoints: [join(ui, 'main.ts')], bundle: true, format: 'esm', target: 'es2022', minify: true,
    legalComments: 'none', write: false, logLevel: 'silent', charset: 'utf8',
  });
  const css = `${readFileSync(uplotCss, 'utf8').trim()}\n${readFileSync(join(ui, 'style.css'), 'utf8')}`;
  return {
    'app.js': js.outputFiles[0].text,
    'app.css': css,
    'index.html': readFileSync(join(ui, 'index.html'), 'utf8'),
    'favicon.svg': readFileSync(join(ui, 'favicon.svg'), 'utf8'),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await buildUi();
  if (process.argv.includes('--check')) {
    const stale = Object.entries(files).filter(([name, text]) => {
      try { return readFileSync(join(out, name), 'utf8') !== text; } catch { return true; }
    }).map(([name]) => name);
    if (stale.length > 0) {
      console.error(`public/ is stale (${stale.join(', ')}): run npm run build:ui -w @evcam/camera-web and commit public/`);
      process.exit(1);
    }
  } else {
    mkdirSync(out, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(out, name), text);
    console.log(`built ${Object.keys(files).map((n) => `public/${n}`).join(', ')}`);
  }
}
