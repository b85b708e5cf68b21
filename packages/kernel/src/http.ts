import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EvcamError, ErrorCodes, type Logger } from '@evcam/camera-api';
import { renderMetrics } from './http/metrics.js';
import type { HttpServer, KernelParts } from './container/services.js';

export interface HttpEndpoint {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/** A camera's own health details (its optional healthDetails()); a throw is reported, never rethrown. */
function cameraDetails(camera: { healthDetails?(): Record<string, unknown> }): { details?: Record<string, unknown> } {
  if (typeof camera.healthDetails !== 'function') return {};
  try {
    return { details: camera.healthDetails() };
  } catch (err) {
    return { details: { status: 'degraded', error: (err as Error)?.message ?? String(err) } };
  }
}

/** /healthz as JSON: overall status, receiver, every camera, State sizes, checkpoint. */
export function healthDocument(kernel: KernelParts): { status: 'ok' | 'degraded'; [key: string]: unknown } {
  const receiver = kernel.receiver.health();
  const cameras = kernel.cameras.map((c) => ({ name: c.name, source: c.source, ...c.health, ...cameraDetails(c.camera) }));
  const degraded = !receiver.connected || cameras.some((c) => c.status !== 'ok' || c.details?.status === 'degraded');
  return {
    status: degraded ? 'degraded' : 'ok',
    receiver,
    cameras,
    state: { tasks: kernel.state.tasks.size, workers: kernel.state.workers.size, eventCount: kernel.state.eventCount, taskCount: kernel.state.taskCount },
    ingest: { messages: kernel.ingestor.metrics.messages, folded: kernel.ingestor.metrics.folded, bad: kernel.ingestor.metrics.badTotal() },
    checkpoint: kernel.checkpointer?.metrics ?? null,
    ha: kernel.ha?.health() ?? null,
  };
}

function respond(kernel: KernelParts, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
  } else if (path === '/healthz') {
    // 200 while the process serves: the kernel heals itself, so a liveness probe must not restart it for a broker outage.
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(healthDocument(kernel)));
  } else if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(renderMetrics(kernel));
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /healthz or /metrics\n');
  }
}

/** Serve /healthz and /metrics (off unless http.port is configured). */
export async function startHttp(settings: { port: number; host: string }, kernel: KernelParts, logger: Logger): Promise<HttpEndpoint> {
  const server = new HealthServer(settings, kernel, logger);
  await server.start();
  return { port: server.port as number, close: () => server.close() };
}

/** The /healthz and /metrics server the http module binds; the Kernel starts and closes it. */
export class HealthServer implements HttpServer {
  private server: Server | null = null;
  port: number | null = null;

  constructor(
    private readonly settings: { port: number; host: string },
    private readonly kernel: KernelParts,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    const { settings, kernel, logger } = this;
    const server = createServer((req, res) => {
      try {
        respond(kernel, req, res);
      } catch (err) {
        logger.error({ err, url: req.url }, 'http handler failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(new EvcamError(ErrorCodes.CONFIG_INVALID,
        `cannot serve /healthz and /metrics on ${settings.host}:${settings.port} (${err.code ?? err.message}); choose another http.port.`, { cause: err })));
      server.listen(settings.port, settings.host, resolve);
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    logger.info({ host: settings.host, port: this.port }, 'serving /healthz and /metrics');
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }
}
