"""Celery client for the end-to-end tests (run by test/helpers/celery.ts).

Usage: /usr/bin/python3 celery_client.py '<JSON list of operations>'
Broker from EVCAM_TEST_BROKER (as test/celery/tasks.py). Prints one JSON line:
the result of each operation, in order.

Operations:
  {"op": "send", "name": "tasks.add", "args": [1, 2], "kwargs": {}, "countdown": 2}
      -> the task id
  {"op": "chain", "links": [{"name": ..., "args": [...]}, ...]}
      -> the ids of the links, first to last
  {"op": "revoke", "id": "...", "terminate": false}
      -> null
  {"op": "processed", "workers": 1}
      -> {worker hostname: {task name: number processed}} (inspect stats; with "workers",
         the answer comes once that many workers replied instead of after the 2 s timeout)
  {"op": "declare_celeryev"}
      -> null; declares the event exchange exactly as Celery's EventReceiver does
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'celery'))

from celery import chain  # noqa: E402
from celery.events import get_exchange  # noqa: E402
from tasks import app  # noqa: E402


def send(op):
    options = {k: op[k] for k in ('countdown', 'expires') if k in op}
    return app.send_task(op['name'], args=op.get('args', []), kwargs=op.get('kwargs', {}), **options).id


def send_chain(op):
    result = chain(*[app.signature(link['name'], args=link.get('args', []), kwargs=link.get('kwargs', {}))
                     for link in op['links']]).apply_async()
    ids = []
    while result is not None:
        ids.append(result.id)
        result = result.parent
    return list(reversed(ids))


def revoke(op):
    app.control.revoke(op['id'], terminate=op.get('terminate', False))


def processed(op):
    stats = app.control.inspect(timeout=2.0, limit=op.get('workers')).stats() or {}
    return {host: s.get('total', {}) for host, s in stats.items()}


def declare_celeryev(_op):
    with app.connection_for_read() as conn:
        get_exchange(conn, name=app.conf.event_exchange)(conn.default_channel).declare()


OPS = {'send': send, 'chain': send_chain, 'revoke': revoke, 'processed': processed,
       'declare_celeryev': declare_celeryev}


def main():
    results = [OPS[op['op']](op) for op in json.loads(sys.argv[1])]
    print(json.dumps(results))


if __name__ == '__main__':
    main()
