// A camera's name in logs, health and the replay summary: its static cameraName, the configured name kept as `source`.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '@evcam/camera-api';
import { configSchema } from '../config/schema.js';
import { healthDocument } from '../http.js';
import { buildContainer, type Kernel } from '../kernel.js';
import { FakeClock } from '../runtime/clock.js';
import { TOKENS } from '../tokens.js';
import { planCameras } from './loader.js';

const cameraModule = (dir: string, file: string, cameraName: string) => {
  const api = import.meta.resolve('@evcam/camera-api');
  writeFileSync(join(dir, file), `import { Polaroid } from ${JSON.stringify(api)};\n` +
    `export default class C extends Polaroid { static cameraName = ${JSON.stringify(cameraName)}; onShutter() {} }\n`);
  return `./${file}`;
};

test('cameraName names the camera in health (configured name as source); two cameras sharing one keep their configured names', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-naming-'));
  const pg = cameraModule(dir, 'pg.mjs', 'postgres');
  const a = cameraModule(dir, 'a.mjs', 'twin');
  const b = cameraModule(dir, 'b.mjs', 'twin');
  const plans = await planCameras(configSchema.parse({ cameras: [pg, a, b] }), dir);
  assert.deepEqual(plans.map((p) => [p.name, p.source]), [['postgres', pg], [a, a], [b, b]]);

  const clock = new FakeClock();
  const container = await buildContainer({ config: configSchema.parse({ cameras: [pg] }), configDir: dir, logger: silentLogger, clock, timer: clock });
  const kernel = await container.getAsync<Kernel>(TOKENS.Kernel);
  assert.equal(kernel.cameras[0].camera.name, 'postgres', 'this.name in the camera');
  const [camera] = healthDocument(kernel).cameras as { name: string; source: string }[];
  assert.deepEqual([camera.name, camera.source], ['postgres', pg]);
});
