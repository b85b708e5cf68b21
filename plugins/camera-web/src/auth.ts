import { createHash, randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Password hashes: `scrypt$N$r$p$<salt base64>$<key base64>` (node:crypto scrypt, 32-byte salt, 64-byte key).
const PREFIX = 'scrypt';
const KEY_LENGTH = 64;
const DEFAULTS = { N: 16_384, r: 8, p: 1 };
const HASH_RE = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export const PASSWORD_HASH_HINT =
  'must be a password hash "scrypt$N$r$p$salt$key" as printed by `npx evcam-web-passwd` (never the password itself)';

export const isPasswordHash = (value: string): boolean => HASH_RE.test(value);

function scryptAsync(password: BinaryLike, salt: BinaryLike, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keylen, { ...options, maxmem: 256 * options.N! * options.r! }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hash a password for the `users` option. */
export async function hashPassword(password: string, cost = DEFAULTS): Promise<string> {
  const salt = randomBytes(32);
  const key = await scryptAsync(password, salt, KEY_LENGTH, cost);
  return [PREFIX, cost.N, cost.r, cost.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `hash` (constant time over the derived key). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = HASH_RE.exec(hash);
  if (!m) return false;
  const expected = Buffer.from(m[5], 'base64');
  const key = await scryptAsync(password, Buffer.from(m[4], 'base64'), expected.length, { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) });
  return timingSafeEqual(key, expected);
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

export const TOKEN_COOKIE = 'evcam_token';

export interface AuthConfig {
  token?: string;
  users?: Record<string, string>;
}

/** Who may read the dashboard: nobody is asked on loopback without auth options. */
export class Authenticator {
  private readonly tokenDigest: Buffer | null;
  /** Basic-auth headers already checked (sha256 of the header -> ok), so scrypt runs once per credential. */
  private readonly verified = new Map<string, boolean>();

  constructor(private readonly config: AuthConfig) {
    this.tokenDigest = config.token === undefined ? null : sha256(config.token);
  }

  get enabled(): boolean {
    return this.tokenDigest !== null || (this.config.users !== undefined && Object.keys(this.config.users).length > 0);
  }

  get usesBasic(): boolean {
    return this.config.users !== undefined && Object.keys(this.config.users).length > 0;
  }

  /** Constant-time token comparison (digests have equal length whatever was sent). */
  tokenMatches(candidate: string): boolean {
    return this.tokenDigest !== null && timingSafeEqual(sha256(candidate), this.tokenDigest);
  }

  async allows(req: IncomingMessage): Promise<boolean> {
    if (!this.enabled) return true;
    const header = req.headers.authorization ?? '';
    if (this.tokenDigest !== null) {
      if (header.startsWith('Bearer ') && this.tokenMatches(header.slice(7).trim())) return true;
      const cookie = readCookie(req.headers.cookie, TOKEN_COOKIE);
      if (cookie !== null && this.tokenMatches(cookie)) return true;
    }
    if (this.usesBasic && header.startsWith('Basic ')) return this.basicAllows(header);
    return false;
  }

  private async basicAllows(header: string): Promise<boolean> {
    const key = sha256(header).toString('base64');
    const known = this.verified.get(key);
    if (known !== undefined) return known;
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const hash = Object.hasOwn(this.config.users!, user) ? this.config.users![user] : undefined;
    // Unknown users cost the same scrypt as known ones.
    const ok = (await verifyPassword(colon < 0 ? '' : decoded.slice(colon + 1), hash ?? DUMMY_HASH)) && hash !== undefined;
    if (this.verified.size >= 1000) this.verified.clear();
    this.verified.set(key, ok);
    return ok;
  }
}

// A valid hash of a random password, for timing parity on unknown users.
const DUMMY_HASH = `scrypt$${DEFAULTS.N}$${DEFAULTS.r}$${DEFAULTS.p}$${randomBytes(32).toString('base64')}$${randomBytes(KEY_LENGTH).toString('base64')}`;

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}
