// A camera that appends one JSON line per stored snapshot to a log file shared by several kernels:
// O_APPEND writes of one short line each, so the file's order is the order the writes happened in.
import { appendFileSync } from 'node:fs';
import { Polaroid, type Snapshot } from '@evcam/camera-api';

interface Options { log: string; node: string }

export interface RecordedShutter { node: string; epoch: number | null; seq: number; event_count: number; pid: number }

export default class RecorderCamera extends Polaroid<Options> {
  static override readonly cameraName = 'recorder';

  override onShutter(snapshot: Snapshot): void {
    const line: RecordedShutter = { node: this.options.node, epoch: snapshot.epoch ?? null, seq: snapshot.seq, event_count: snapshot.event_count, pid: process.pid };
    appendFileSync(this.options.log, `${JSON.stringify(line)}\n`);
  }
}
