import { z } from 'zod';

// Options may come from a config file (typed values) or from `--camera-option k=v`
// (strings), so every boolean, number, duration and size also accepts its string form.

/** The one placeholder every redactor writes in place of a secret. */
export const REDACTED = '[redacted]';

/**
 * Every URL in `text` with its password (and a user-only credential) replaced by
 * REDACTED: a URL alone, or URLs inside an error message. Text without one is returned unchanged.
 */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/gi, (_all, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return colon < 0 ? `${scheme}${REDACTED}@` : `${scheme}${auth.slice(0, colon)}:${REDACTED}@`;
  });
}

export const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false']).transform((v) => v === 'true'),
], { error: 'must be true or false' });

export const DURATION_HINT = 'write a number of seconds or "<n>ms", "<n>s", "<n>m", "<n>h", "<n>d", "<n>w" (e.g. "7d")';
const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|[smhdw])?$/;

/** Parse '90', '90s', '30m', '12h', '7d', '2w', '250ms' (or a number) to seconds; undefined if it is none of those. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = DURATION_RE.exec(value.trim());
  return m ? Number(m[1]) * DURATION_UNITS[m[2] ?? 's'] : undefined;
}

/** Seconds (> 0): a number, or a string such as "90", "90s", "30m", "12h", "7d". */
export const duration = z.union([z.number(), z.string()], { error: DURATION_HINT })
  .refine((v) => (parseDuration(v) ?? 0) > 0, `${DURATION_HINT}; it must be more than 0 seconds`)
  .transform((v) => parseDuration(v)!);

export const BYTES_HINT = 'write a number of bytes or e.g. "64KiB", "256MiB", "2GB"';
const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
const BYTES_RE = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/i;

/** Parse '512MiB', '2GB', '4096' (or a number) to bytes; undefined if it is none of those. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = BYTES_RE.exec(value.trim());
  return m ? Math.floor(Number(m[1]) * BYTE_UNITS[(m[2] ?? '').toLowerCase()]) : undefined;
}

/** Bytes (a whole number > 0): a number, or a string such as "512MiB", "2GB". */
export const bytes = z.union([z.number(), z.string()], { error: BYTES_HINT })
  .refine((v) => (parseBytes(v) ?? 0) > 0, `${BYTES_HINT}; it must be more than 0`)
  .transform((v) => parseBytes(v)!);

/** A whole number >= 1, or its string form. */
export const positiveInt = z.union([z.number().int(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)],
  { error: 'must be a whole number' })
  .refine((v) => v >= 1, 'must be at least 1');

/** A TCP port (0 picks a free one), or its string form. */
export const port = z.union([z.number().int(), z.string().regex(/^\d+$/, 'must be a port number').transform(Number)],
  { error: 'must be a port number' })
  .refine((v) => v >= 0 && v <= 65_535, 'must be a port number between 0 and 65535');
