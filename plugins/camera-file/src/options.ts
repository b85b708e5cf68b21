import { z } from 'zod';

export const fileCameraOptions = z.strictObject({
  /** Where snapshots go; relative to the config file. */
  dir: z.string().min(1).default('./snapshots'),
  /** Gzip keyframes and closed delta files (latest.json and the delta file being written stay plain). */
  gzip: z.boolean().default(false),
  /** Indent keyframe JSON. */
  pretty: z.boolean().default(false),
  /** How many keyframes (each with its deltas) to keep (0: keep all). */
  keep: z.number().int().nonnegative().default(1000),
  /** Keep history at all (false: only the newest keyframe, its deltas and latest.json). */
  history: z.boolean().default(true),
  /**
   * Write a keyframe once the stale part of the deltas since the last one (records of tasks
   * stored before, and removals) exceeds this fraction of the State's (estimated) size now.
   */
  keyframeFraction: z.number().positive().default(0.5),
  /** ... or once this many shutters were stored as deltas since it. */
  keyframeEvery: z.number().int().positive().default(600),
});

export type FileCameraOptions = z.output<typeof fileCameraOptions>;
