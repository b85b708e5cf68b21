import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';

/** Suffix of files still being written; a crash leaves them behind and Spool.open() deletes them. */
export const TMP_SUFFIX = '.tmp';

/** Write tmp + rename, so a reader (or the next start after a crash) sees the old file or the new one, never half of one. */
export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`;
  try {
    await writeFile(tmp, Array.isArray(data) ? Buffer.concat(data as Uint8Array[]) : (data as string | Uint8Array));
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
