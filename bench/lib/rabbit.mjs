// A private RabbitMQ vhost for one benchmark run, so nothing it publishes can
// reach a `celeryev` anyone else consumes; removed afterwards in every case.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';

export const RABBIT_HOST = process.env.EVCAM_BENCH_RABBIT ?? '127.0.0.1:5672';

const ctl = (...args) => execFileSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function createVhost() {
  const vhost = `evcam-bench-${randomUUID().slice(0, 8)}`;
  ctl('add_vhost', vhost);
  ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
  return {
    vhost,
    url: `amqp://guest:guest@${RABBIT_HOST}/${encodeURIComponent(vhost)}`,
    queues: () => ctl('list_queues', '-p', vhost, 'name', '--no-table-headers').split('\n').map((l) => l.trim()).filter(Boolean),
    deleteQueue: (name) => { try { ctl('delete_queue', '-p', vhost, name); } catch { /* already gone */ } },
    remove: () => {
      // Retried: a broker restarted by someone else's test may refuse rabbitmqctl for a moment.
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          ctl('delete_vhost', vhost);
          return;
        } catch (err) {
          if (/does not exist|no_such_vhost/.test(String(err.stderr ?? err.message))) return;
          execFileSync('sleep', ['2']);
        }
      }
      process.stderr.write(`[bench] could not delete RabbitMQ vhost ${vhost}; remove it with: rabbitmqctl delete_vhost ${vhost}\n`);
    },
  };
}

export function rabbitVersion() {
  try {
    return ctl('version').trim();
  } catch {
    return 'unknown';
  }
}
