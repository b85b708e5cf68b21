import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';

export interface TlsProxy {
  port: number;
  /** PEM of the self-signed certificate (the CA a client must trust). */
  caFile: string;
  /** TLS connections accepted so far. */
  connections: () => number;
  close(): Promise<void>;
}

/**
 * A TLS terminator on 127.0.0.1 in front of a plaintext local service (RabbitMQ,
 * Redis), with a fresh self-signed certificate for 127.0.0.1/localhost: the real
 * broker, spoken to over real TLS, without reconfiguring the broker.
 */
export async function startTlsProxy(targetPort: number): Promise<TlsProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'evcam-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  let accepted = 0;
  const sockets = new Set<TLSSocket>();
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (client) => {
    accepted++;
    sockets.add(client);
    const upstream = connect(targetPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    caFile: cert,
    connections: () => accepted,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
