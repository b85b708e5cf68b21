import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCameraConformance, type KitContext } from '@evcam/camera-testkit';
import { FileCamera, rebuildState } from './index.js';

const snapshots = ({ dir }: KitContext): string => join(dir, 'snapshots');

runCameraConformance(FileCamera, {
  options: { dir: './snapshots' },
  // The newest stored State: the last keyframe plus its deltas; a task evicted from memory leaves it.
  eviction: 'drop',
  readBack: (kit) => rebuildState(snapshots(kit)),
  // A regular file where the directory was: every write fails with ENOTDIR until repaired.
  breakBackend: (kit) => {
    rmSync(snapshots(kit), { recursive: true, force: true });
    writeFileSync(snapshots(kit), '');
  },
  repairBackend: (kit) => {
    rmSync(snapshots(kit), { force: true });
    mkdirSync(snapshots(kit));
  },
});
