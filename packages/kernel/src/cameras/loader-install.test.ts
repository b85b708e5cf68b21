// How the loader tells "not installed" from "installed but broken", and finds scoped cameras:
// fake packages installed into temp node_modules directories.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EvcamError } from '@evcam/camera-api';
import { resolveCamera } from './loader.js';

const CAMERA_API = new URL('../../../camera-api/dist/index.js', import.meta.url).href;
const project = () => realpathSync(mkdtempSync(join(tmpdir(), 'evcam-install-')));

/** Install a fake package `name` into `root/node_modules` with these files (index.js is the entry point). */
function install(root: string, name: string, files: Record<string, string>, type: 'module' | 'commonjs' = 'module'): string {
  const dir = join(root, 'node_modules', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type, main: 'index.js' }));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const camera = (cameraName: string, extraImport = '') => `${extraImport}
import { Polaroid } from '${CAMERA_API}';
export default class Cam extends Polaroid { static cameraName = '${cameraName}'; onShutter() {} }`;

async function rejectsWith(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<string> {
  let message = '';
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(EvcamError.is(err), `expected an EvcamError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const f of fragments) assert.ok(err.message.includes(f), `message lacks "${f}": ${err.message}`);
    message = err.message;
    return true;
  });
  return message;
}

describe('camera loader: installed or not', () => {
  test('an installed camera whose own dependency is missing is not "not installed": it names the module and its importer', async () => {
    const root = project();
    const dir = install(root, 'evcam-camera-broken', { 'index.js': camera('broken', "import 'left-pad-never-installed';") });
    await rejectsWith(resolveCamera('broken', root, root), 'EVCAM_ERR_CAMERA_IMPORT',
      '"left-pad-never-installed"', join(dir, 'index.js'), 'npm install left-pad-never-installed');
    // The same by full package name.
    await rejectsWith(resolveCamera('evcam-camera-broken', root, root), 'EVCAM_ERR_CAMERA_IMPORT', '"left-pad-never-installed"');
  });

  test('a CommonJS camera with a missing require names the module and the file requiring it', async () => {
    const root = project();
    const dir = install(root, 'evcam-camera-cjs', { 'index.js': "require('missing-cjs-dependency'); module.exports = {};" }, 'commonjs');
    await rejectsWith(resolveCamera('cjs', root, root), 'EVCAM_ERR_CAMERA_IMPORT', '"missing-cjs-dependency"', join(dir, 'index.js'));
  });

  test('a camera file by path whose import fails is not "not installed" either', async () => {
    const root = project();
    writeFileSync(join(root, 'cam.mjs'), camera('local', "import './helpers-missing.mjs';"));
    await rejectsWith(resolveCamera('./cam.mjs', root, root), 'EVCAM_ERR_CAMERA_IMPORT', 'helpers-missing.mjs', join(root, 'cam.mjs'), 'incomplete');
  });

  test('--camera NAME finds an installed @scope/evcam-camera-NAME', async () => {
    const root = project();
    install(root, '@acme/evcam-camera-kafka', { 'index.js': camera('acme-kafka') });
    const { camera: found } = await resolveCamera('kafka', join(root), root);
    assert.equal((found as { cameraName?: string }).cameraName, 'acme-kafka');
  });

  test('two installed candidates for one name: a coded error listing both', async () => {
    const root = project();
    install(root, '@acme/evcam-camera-queue', { 'index.js': camera('acme') });
    install(root, 'evcam-camera-queue', { 'index.js': camera('plain') });
    await rejectsWith(resolveCamera('queue', root, root), 'EVCAM_ERR_CAMERA_AMBIGUOUS',
      '@acme/evcam-camera-queue (in', ' evcam-camera-queue (in', 'name the one you mean in full');
    // Named in full, either one loads.
    const { camera: plain } = await resolveCamera('evcam-camera-queue', root, root);
    assert.equal((plain as { cameraName?: string }).cameraName, 'plain');
  });

  test('a scoped camera is found from a config directory below the project (node_modules above it)', async () => {
    const root = project();
    install(root, '@team/evcam-camera-deep', { 'index.js': camera('deep') });
    const configDir = join(root, 'config', 'prod');
    mkdirSync(configDir, { recursive: true });
    const { camera: found } = await resolveCamera('deep', configDir, tmpdir());
    assert.equal((found as { cameraName?: string }).cameraName, 'deep');
  });

  test('not installed: the hint names every form tried and where', async () => {
    const root = project();
    mkdirSync(join(root, 'node_modules', '@acme'), { recursive: true });
    await rejectsWith(resolveCamera('absent', root, root), 'EVCAM_ERR_CAMERA_NOT_INSTALLED',
      '@evcam/camera-absent', 'evcam-camera-absent', '@*/evcam-camera-absent', join(root, 'node_modules'), 'npm install @evcam/camera-absent');
    await rejectsWith(resolveCamera('@acme/evcam-camera-absent', root, root), 'EVCAM_ERR_CAMERA_NOT_INSTALLED',
      'tried @acme/evcam-camera-absent', 'npm install @acme/evcam-camera-absent');
  });
});
