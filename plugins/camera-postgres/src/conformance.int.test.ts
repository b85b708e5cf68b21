import { after, before } from 'node:test';
import { runCameraConformance, startTcpProxy, type TcpProxy } from '@evcam/camera-testkit';
import { PostgresCamera } from './index.js';
import { dropSchema, freshSchema, PG_URL, readTasks, urlVia } from './testing/pg.js';

// The camera against the real PostgreSQL, through a TCP proxy the kit cuts to make the backend fail.
const schema = freshSchema();
let proxy: TcpProxy;
before(async () => { proxy = await startTcpProxy(Number(new URL(PG_URL).port || 5432)); });
after(async () => { await proxy.close(); await dropSchema(schema); });

runCameraConformance(PostgresCamera, {
  get options() { return { url: urlVia(proxy.port), schema, connectTimeout: 2 }; },
  readBack: async () => ({ tasks: await readTasks(schema) }),
  breakBackend: () => proxy.cut(),
  repairBackend: () => proxy.restore(),
});
