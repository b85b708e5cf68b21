import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EvcamError, ErrorCodes, type Logger } from '@evcam/camera-api';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export interface Routes {
  path: string;
  metrics: () => string;
  health: () => unknown;
}

/** The camera's own endpoint: `path` (Prometheus text format) and /healthz (JSON). */
export async function serveMetrics(host: string, port: number, routes: Routes, logger: Logger): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === routes.path || (path === '/' && routes.path !== '/')) {
        const body = path === '/' ? `evcam camera-prometheus: metrics at ${routes.path}\n` : routes.metrics();
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(routes.health()));
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try ${routes.path} or /healthz\n`);
      }
    } catch (err) {
      logger.error({ err, url: req.url }, 'metrics handler failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  server.keepAliveTimeout = 65_000; // longer than Prometheus' idle connections
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new EvcamError(ErrorCodes.CAMERA_START,
      `camera prometheus cannot listen on ${host}:${port} (${err.code ?? err.message}): another process (celery-exporter?) holds the port; ` +
      'stop it or set --camera-option port=N.', { cause: err, retryable: err.code === 'EADDRINUSE' })));
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
