import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { Transport, type TransportOptions } from '@elastic/transport';

/** Not exported by the client's ESM typings. */
export type ClientOptions = ConstructorParameters<typeof Client>[0];
import { EvcamError, ErrorCodes } from '@evcam/camera-api';
import type { ElasticsearchCameraOptions } from './options.js';

/** Build the client from validated options; `extra` lets tests plug in the mock's Connection. */
export function createClient(options: ElasticsearchCameraOptions, configDir: string, extra: Partial<ClientOptions> = {}): Client {
  const tls: NonNullable<ClientOptions['tls']> = { rejectUnauthorized: options.rejectUnauthorized };
  if (options.caFile) tls.ca = readCaFile(resolve(configDir, options.caFile));
  return new Client({
    ...(options.node ? { node: options.node } : {}),
    ...(options.nodes ? { nodes: options.nodes } : {}),
    ...(options.cloud ? { cloud: options.cloud } : {}),
    ...(options.auth ? { auth: options.auth } : {}),
    ...(options.caFingerprint ? { caFingerprint: options.caFingerprint } : {}),
    tls,
    requestTimeout: options.requestTimeout * 1000,
    // evcam's pending buffer and the kernel's backoff are the retry; client-side
    // retries would only stretch a shutter past its timeout while ES is down.
    maxRetries: 0,
    name: 'evcam',
    Transport: transportFor(options.compatibility),
    ...extra,
  });
}

/**
 * The v9 client hard-codes `compatible-with=9`, which 8.x servers refuse; a Transport that
 * asks for `compatible-with=8` is served by both 8.x and 9.x.
 */
function transportFor(version: 8 | 9): typeof Transport {
  if (version === 9) return Transport;
  return class CompatibleTransport extends Transport {
    constructor(opts: TransportOptions) {
      super({
        ...opts,
        vendoredHeaders: {
          jsonContentType: `application/vnd.elasticsearch+json; compatible-with=${version}`,
          ndjsonContentType: `application/vnd.elasticsearch+x-ndjson; compatible-with=${version}`,
          accept: `application/vnd.elasticsearch+json; compatible-with=${version},text/plain`,
        },
      });
    }
  };
}

function readCaFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new EvcamError(ErrorCodes.CAMERA_OPTIONS,
      `caFile ${path} cannot be read (${(err as Error).message}); give the path of the cluster's CA certificate (PEM), relative to the config file`);
  }
}
