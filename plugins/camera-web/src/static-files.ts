import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** The built front end (public/), read once at install. */
export interface StaticFile { body: Buffer; type: string; etag: string }

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const FILES: Record<string, string> = {
  '/assets/app.js': 'text/javascript; charset=utf-8',
  '/assets/app.css': 'text/css; charset=utf-8',
  '/assets/favicon.svg': 'image/svg+xml',
  '/index.html': 'text/html; charset=utf-8',
};

export function loadStaticFiles(dir = PUBLIC_DIR): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const [path, type] of Object.entries(FILES)) {
    const body = readFileSync(dir + path.replace(/^\/(assets\/)?/, ''));
    files.set(path, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  }
  return files;
}
