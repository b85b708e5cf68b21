import { z } from 'zod';

export const fileCameraOptions = z.strictObject({
  /** Where snapshots go; relative to the config file. */
  dir: z.string().min(1).default('./snapshots'),
  /** Gzip history files (latest.json stays plain). */
  gzip: z.boolean().default(false),
  /** Indent the JSON. */
  pretty: z.boolean().default(false),
  /** How many history files to keep (0: keep all). */
  keep: z.number().int().nonnegative().default(1000),
  /** Write history files at all (false: only latest.json). */
  history: z.boolean().default(true),
});

export type FileCameraOptions = z.output<typeof fileCameraOptions>;
