import { appendFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Polaroid, type Snapshot } from '@evcam/camera-api';
import { z } from 'zod';

const options = z.strictObject({
  /** '-' prints to stdout; anything else is a file to append to, relative to the config file. */
  out: z.string().min(1).default('-'),
});

/**
 * Celery's DumpCam, evcam-style: a line per task changed since the last
 * stored shutter, then the totals. `--camera ./examples/console-camera/index.ts`
 */
export default class ConsoleCamera extends Polaroid<z.output<typeof options>> {
  static override readonly cameraName = 'console';
  static override readonly optionsSchema = options;

  override async onShutter(snapshot: Snapshot): Promise<void> {
    let text = '';
    for (const uuid of snapshot.changed.tasks) {
      const task = snapshot.tasks[uuid];
      text += `[${snapshot.seq}] ${uuid} ${task.state} ${task.name ?? '?'} ${task.worker ?? '-'}\n`;
    }
    text += `[${snapshot.seq}] Total: ${snapshot.event_count} events, ${snapshot.task_count} tasks\n`;
    // A throw (disk full) makes the kernel retry; the next snapshot's `changed` covers this one.
    if (this.options.out === '-') process.stdout.write(text);
    else await appendFile(resolve(this.configDir, this.options.out), text);
  }
}
