#!/usr/bin/python3
"""Celery's own State on a captured stream (the fold of test/fixtures' golden tool), timed.

usage: celery-state.py STREAM.jsonl [--max-tasks N] [--compare LATEST.json]

Folds every line through Celery's receiver and State, as the golden tool does, and prints one
JSON line: events, tasks held, seconds folding, peak RSS (kB) after folding; with --compare,
also how many of Celery's tasks evcam's snapshot (latest.json) has different or not at all.
"""
import argparse, gc, json, resource, sys, time
from celery import Celery
from celery.events.state import State


def events_of(line):
    rec = json.loads(line)
    body = json.loads(rec['body'])
    return rec['recv_ts'], (body if isinstance(body, list) else [body])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('stream')
    ap.add_argument('--max-tasks', type=int, default=10000)
    ap.add_argument('--max-workers', type=int, default=5000)
    ap.add_argument('--compare', default=None)
    a = ap.parse_args()
    app = Celery(broker='memory://')
    state = State(max_tasks_in_memory=a.max_tasks, max_workers_in_memory=a.max_workers)
    recv = app.events.Receiver(app.connection_for_read(), handlers={'*': state.event})
    started = time.perf_counter()
    events = 0
    with open(a.stream) as fh:
        for line in fh:
            if not line.strip():
                continue
            ts, evs = events_of(line)
            for ev in evs:
                type_, body = recv.event_from_message(ev, now=lambda: ts)
                recv.process(type_, body)
                events += 1
    secs = time.perf_counter() - started
    max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out = {'events': events, 'tasks': len(state.tasks), 'secs': secs, 'maxRssKb': max_rss_kb,
           'cpuSecs': usage.ru_utime + usage.ru_stime}
    if a.compare:
        gc.collect()  # as the golden tool: children of evicted tasks leave their weak sets
        with open(a.compare) as fh:
            ours = json.load(fh)['tasks']
        differing = 0
        for uuid, task in state.tasks.items():
            d = task.as_dict()
            d['worker'] = task.worker.hostname if task.worker is not None else None
            d['children'] = sorted(d['children'])
            mine = ours.get(uuid)
            if mine is None or any(mine.get(k) != (v if not isinstance(v, tuple) else list(v)) for k, v in d.items()):
                differing += 1
        out.update({'compared': len(ours), 'differing': differing, 'extra': len(set(ours) - set(state.tasks.keys()))})
    sys.stdout.write(json.dumps(out) + '\n')


if __name__ == '__main__':
    main()
