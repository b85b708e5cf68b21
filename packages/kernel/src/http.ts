import { createServer } from 'node:http';
import type { Logger } from '@evcam/camera-api';
import type { Kernel } from './kernel.js';

/** Placeholder until the health endpoint lands: serves a minimal /healthz. */
export async function startHttp(settings: { port: number; host: string }, kernel: Kernel, logger: Logger): Promise<{ close(): Promise<void> }> {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ receiver: kernel.receiver.health() }));
  });
  await new Promise<void>((resolve) => server.listen(settings.port, settings.host, resolve));
  logger.info({ port: settings.port }, 'http listening');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
