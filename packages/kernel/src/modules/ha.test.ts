import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { silentLogger } from '@evcam/camera-api';
import { configSchema, type EvcamConfig } from '../config/schema.js';
import { buildContainer } from '../container/build.js';
import { Ids } from '../container/ids.js';
import { OPEN_GATE } from '../engine/gate.js';
import { HaCoordinator } from '../ha/coordinator.js';

const build = (config: EvcamConfig, command: 'run' | 'replay' = 'run') =>
  buildContainer({ config: configSchema.parse(config), configDir: tmpdir(), logger: silentLogger, command });

test('the ha module: with `ha` the coordinator is the shutter gate (shut until it leads) and a kernel service; without, the open gate', async () => {
  const container = await build({ ha: { group: 'g', node: 'n1' }, camera: 'file', cameraOptions: { dir: tmpdir() } });
  const gate = container.get(Ids.ShutterGate);
  assert.ok(gate instanceof HaCoordinator);
  assert.equal(gate, container.get(Ids.Ha), 'one coordinator: the gate and /healthz read the same one');
  assert.equal(gate.isOpen(), false, 'a standby until the lease is held');
  assert.deepEqual((container.getAll(Ids.KernelService) as { name: string }[]).map((s) => s.name), ['ha']);
  assert.equal((await build({ camera: 'file', cameraOptions: { dir: tmpdir() } })).get(Ids.ShutterGate), OPEN_GATE);
  assert.equal((await build({ ha: { group: 'g', node: 'n1' }, camera: 'file', cameraOptions: { dir: tmpdir() } }, 'replay')).get(Ids.ShutterGate), OPEN_GATE,
    'replay writes what it was given: no leadership');
});
