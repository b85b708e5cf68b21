import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EvcamError, Polaroid, type Snapshot } from '@evcam/camera-api';
import { configSchema } from '../config/schema.js';
import { planCameras, resolveCamera } from './loader.js';

const kernelDir = fileURLToPath(new URL('../../', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'evcam-loader-'));

async function rejectsWith(promise: Promise<unknown>, code: string, ...fragments: string[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(EvcamError.is(err), `expected an EvcamError, got ${String(err)}`);
    assert.equal(err.code, code);
    for (const f of fragments) assert.ok(err.message.includes(f), `message lacks "${f}": ${err.message}`);
    return true;
  });
}

class InlineCamera extends Polaroid { override onShutter(_s: Snapshot): void {} }

describe('camera loader: every way to name a camera', () => {
  test("short name 'file' loads the project's file camera package", async () => {
    const { camera } = await resolveCamera('file', kernelDir);
    assert.equal((camera as { cameraName?: string }).cameraName, 'file');
  });

  test('an installed package by name', async () => {
    const { camera } = await resolveCamera('@evcam/camera-file', kernelDir);
    assert.equal((camera as { cameraName?: string }).cameraName, 'file');
  });

  test('a .mjs module by path, relative to the config directory', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'cam.mjs'), `
      import { Polaroid } from '${new URL('../../../camera-api/dist/index.js', import.meta.url).href}';
      export default class MyCam extends Polaroid { static cameraName = 'mine'; onShutter() {} }`);
    const { camera } = await resolveCamera('./cam.mjs', dir);
    assert.equal((camera as { cameraName?: string }).cameraName, 'mine');
  });

  test('a .ts module by path (compiled on the fly)', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'cam.ts'), `
      import { Polaroid, type Snapshot } from '${new URL('../../../camera-api/dist/index.js', import.meta.url).href}';
      export class TsCam extends Polaroid { static cameraName: string = 'ts'; onShutter(_s: Snapshot): void {} }`);
    const { camera } = await resolveCamera('./cam.ts', dir);
    assert.equal((camera as { cameraName?: string }).cameraName, 'ts');
  });

  test('a class or a factory given directly', async () => {
    assert.equal((await resolveCamera(InlineCamera, kernelDir)).camera, InlineCamera);
    const factory = (ctx: never) => new InlineCamera(ctx);
    const config = configSchema.parse({ camera: factory });
    const [plan] = await planCameras(config, kernelDir);
    assert.equal(plan.name, 'factory');
  });

  test('not installed: says what was tried and what to install', async () => {
    await rejectsWith(resolveCamera('kafka', kernelDir), 'EVCAM_ERR_CAMERA_NOT_INSTALLED',
      '@evcam/camera-kafka', 'evcam-camera-kafka', 'npm install @evcam/camera-kafka');
    await rejectsWith(resolveCamera('./missing.mjs', tmp()), 'EVCAM_ERR_CAMERA_NOT_INSTALLED', 'missing.mjs');
  });

  test('not a camera: says what the module exported', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'nope.mjs'), 'export const answer = 42; export default { hello: "world" };');
    await rejectsWith(resolveCamera('./nope.mjs', dir), 'EVCAM_ERR_NOT_A_CAMERA', 'answer: number', 'default: object', 'Polaroid');
  });

  test('invalid options: names the option path and the problem', async () => {
    const config = configSchema.parse({ camera: 'file', cameraOptions: { dir: 42, keep: -1 } });
    await rejectsWith(planCameras(config, kernelDir), 'EVCAM_ERR_CAMERA_OPTIONS', 'camera "file"', 'dir:', 'keep:');
    const unknown = configSchema.parse({ camera: 'file', cameraOptions: { dri: './x' } });
    await rejectsWith(planCameras(unknown, kernelDir), 'EVCAM_ERR_CAMERA_OPTIONS', 'dri');
  });

  test('a camera built for another API version is refused with the versions that fit', async () => {
    class Future extends InlineCamera { static override readonly apiVersion = 2; }
    const config = configSchema.parse({ camera: Future });
    await rejectsWith(planCameras(config, kernelDir), 'EVCAM_ERR_API_VERSION', 'camera API 2', 'supports 1');
  });

  test('several cameras, each with its own options', async () => {
    const config = configSchema.parse({ cameras: [{ use: 'file', options: { dir: '/tmp/a' } }, { use: InlineCamera, freq: 5 }] });
    const plans = await planCameras(config, kernelDir);
    assert.equal(plans.length, 2);
    assert.equal((plans[0].options as { dir: string }).dir, '/tmp/a');
    assert.equal(plans[1].settings.freq, 5);
  });
});
