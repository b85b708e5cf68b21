import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import { evcamSources, type EvcamSources } from './scaffold-deps.js';

const TEMPLATES = new URL('../templates/camera/', import.meta.url);
const KERNEL = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string; dependencies: Record<string, string>;
};

/** Template file → where it goes in the new package. */
const FILES: Record<string, (name: string) => string> = {
  'index.ts.tmpl': () => 'src/index.ts',
  'camera.test.ts.tmpl': (name) => `src/${name}.test.ts`,
  'tsconfig.json.tmpl': () => 'tsconfig.json',
  'README.md.tmpl': () => 'README.md',
  // npm drops files named .gitignore from published packages, so the template has no dot.
  'gitignore.tmpl': () => '.gitignore',
};

const caret = (version: string): string => `^${version.replace(/^[\^~]/, '')}`;

/** kafka-topic → KafkaTopicCamera */
function className(name: string): string {
  return `${name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}Camera`;
}

function packageJson(pkg: string, name: string, sources: EvcamSources): string {
  const api = caret(KERNEL.dependencies['@evcam/camera-api']);
  const local = sources.kind === 'local' ? sources.specs : {};
  return `${JSON.stringify({
    name: pkg,
    version: '0.1.0',
    description: `evcam camera "${name}": stores Celery cluster snapshots (celery events --camera) in ... (TODO).`,
    type: 'module',
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
    // src too: the source maps tsc writes point at it. Tests stay out.
    files: ['dist', 'src', '!dist/**/*.test.*', '!src/**/*.test.*'],
    // `npm search evcam-camera` lists it; the kernel loads it as `--camera ${name}` by its package name.
    keywords: ['evcam', 'evcam-camera', 'celery'],
    license: 'MIT',
    engines: { node: '>=20.19' },
    scripts: { build: 'tsc -p .', test: 'tsc -p . && node --test dist/*.test.js', prepublishOnly: 'npm test' },
    // A peer, so the camera shares the kernel's copy of the contract.
    peerDependencies: { '@evcam/camera-api': api },
    dependencies: { zod: KERNEL.dependencies.zod },
    devDependencies: {
      '@evcam/camera-api': api,
      '@evcam/camera-testkit': caret(KERNEL.version),
      'evcam-kernel': caret(KERNEL.version),
      '@types/node': '^20.19.0',
      typescript: '~7.0.2',
      // An unpublished kernel: the copies it runs from (and the evcam packages they need),
      // so `npm install` needs no registry for these.
      ...local,
    },
  }, null, 2)}\n`;
}

/** What the author must know when the evcam packages are local copies, not registry ranges. */
function localNotice(sources: EvcamSources): string {
  if (sources.kind !== 'local') return '';
  const lines = Object.entries(sources.specs).map(([name, spec]) => `  ${name}: ${spec}\n`).join('');
  const what = sources.from === 'checkout' ? 'a source checkout' : 'local tarballs';
  return `\nThis kernel runs from ${what}, not from the registry, so the evcam devDependencies point at\n` +
    `the copies it runs from (npm install needs no registry for them):\n${lines}` +
    `Before publishing, set them to registry ranges (e.g. "^${KERNEL.version}").\n`;
}

/**
 * `evcam-kernel new-camera <name>`: write a camera package (camera, options
 * schema, a test running the conformance kit, README) that passes its test as
 * generated. Returns the directory written. `sources`: where its evcam devDependencies
 * come from (default: wherever this kernel was installed from).
 */
export async function newCamera(rawName: string, dir?: string, cwd = process.cwd(), sources: EvcamSources = evcamSources()): Promise<string> {
  const name = rawName.replace(/^evcam-camera-/, '');
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 50) {
    throw new EvcamError(ErrorCodes.USAGE,
      `new-camera: "${rawName}" is not a usable camera name; use lowercase letters, digits and dashes, e.g. "kafka" or "influx-v2".`);
  }
  const pkg = `evcam-camera-${name}`;
  const target = resolve(cwd, dir ?? pkg);
  if (existsSync(target) && readdirSync(target).length > 0) {
    throw new EvcamError(ErrorCodes.USAGE, `new-camera: ${target} already exists and is not empty; pick another --dir or remove it.`);
  }
  const vars: Record<string, string> = { __NAME__: name, __CLASS__: className(name), __PACKAGE__: pkg };
  mkdirSync(join(target, 'src'), { recursive: true });
  writeFileSync(join(target, 'package.json'), packageJson(pkg, name, sources));
  for (const [template, destination] of Object.entries(FILES)) {
    const text = readFileSync(new URL(template, TEMPLATES), 'utf8').replace(/__(NAME|CLASS|PACKAGE)__/g, (m) => vars[m]);
    writeFileSync(join(target, destination(name)), text);
  }
  const shown = relative(cwd, target) || '.';
  process.stdout.write(`Created ${pkg} in ${shown}. Next:\n  cd ${shown}\n  npm install\n  npm test\n${localNotice(sources)}`);
  return target;
}
