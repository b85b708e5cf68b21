"""Python evcam on a pre-filled queue, for the bench's cpu part (bench/cpu.mjs).

What `celery events --camera X --frequency 1` runs (celery.events.snapshot.evcam):
app.events.State(), a Polaroid camera installed with freq 1, app.events.Receiver
with handlers {'*': state.event}, capture(). The one change: Celery's receiver
declares its own auto-delete `celeryev.<uuid>` queue, which would see only events
published while it runs; here its queue is swapped for the pre-filled durable
queue the kernel and the bare reader drain, consumed the same way (no-ack, as
Celery does). The camera stores nothing (a Polaroid whose on_shutter returns).
Prints one JSON line: {events, secs, cpuSecs} (cpuSecs: whole process, os.times,
start-up and imports included).
"""
import json
import os
import sys
import time

from celery import Celery
from celery.events.snapshot import Polaroid
from kombu import Exchange, Queue


class NullCamera(Polaroid):
    clear_after = False

    def on_shutter(self, state):
        pass


def main():
    url, queue_name, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = Celery(broker=url)
    state = app.events.State()
    seen = 0
    started = None

    with app.connection_for_read() as conn:
        def on_event(event):
            nonlocal seen, started
            if started is None:
                started = time.perf_counter()
            state.event(event)
            seen += 1
            if seen >= limit:
                recv.should_stop = True

        recv = app.events.Receiver(conn, handlers={'*': on_event})
        recv.queue = Queue(queue_name, Exchange('celeryev', type='topic'), routing_key='#', durable=True, auto_delete=False,
                           no_ack=True, no_declare=True)  # declared (with its arguments) by bench/publish.mjs
        cam = NullCamera(state, freq=1.0, app=app)
        cam.install()
        try:
            recv.capture(limit=None, timeout=None, wakeup=False)
        finally:
            cam.cancel()
    finished = time.perf_counter()
    t = os.times()
    print(json.dumps({'events': seen, 'secs': finished - (started or finished), 'cpuSecs': t.user + t.system}))


if __name__ == '__main__':
    main()
