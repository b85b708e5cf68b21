"""Celery task module for evcam fixtures and end-to-end tests.

Start a worker (cwd = test/celery):

    EVCAM_TEST_BROKER=amqp://guest:guest@127.0.0.1:5672/evcam-e2e \
        /usr/bin/python3 -m celery -A tasks worker -n w1@%h -c 2 -l INFO

Task names are part of the test contract; keep them stable (see README.md).
"""
import os
import time

from celery import Celery
from celery.exceptions import Reject

BROKER = os.environ.get('EVCAM_TEST_BROKER', 'amqp://guest:guest@127.0.0.1:5672//')

app = Celery('tasks', broker=BROKER)
app.conf.update(
    result_backend=None,            # no result backend: update_state() is a no-op
    task_send_sent_event=True,      # clients publish task-sent
    worker_send_task_events=True,   # same as `celery worker -E`
    event_serializer='json',
    task_serializer='json',
    result_serializer='json',
    accept_content=['json'],
    enable_utc=True,
    timezone='UTC',
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name='tasks.add')
def add(x, y):
    """Success: returns x + y."""
    return x + y


@app.task(name='tasks.fail')
def fail(msg='boom', size=0):
    """Failure: raises ValueError(msg), or ValueError('E' * size) when size > 0."""
    if size:
        msg = 'E' * int(size)
    raise ValueError(msg)


@app.task(name='tasks.flaky', bind=True, max_retries=2)
def flaky(self, fail_times=1, countdown=0.3):
    """Retry: raises Retry `fail_times` times (countdown seconds apart) then succeeds.

    With fail_times > max_retries (2) the last attempt fails with the original
    exception (RuntimeError) instead, i.e. sent->...->retried->...->failed.
    """
    if self.request.retries < fail_times:
        raise self.retry(exc=RuntimeError('flaky attempt %d' % self.request.retries),
                         countdown=countdown)
    return 'ok after %d retries' % self.request.retries


@app.task(name='tasks.slow')
def slow(seconds=5):
    """Sleeps `seconds`; use with revoke(terminate=True) or revoke-before-start."""
    time.sleep(float(seconds))
    return seconds


@app.task(name='tasks.rejecting', acks_late=True)
def rejecting(requeue=False):
    """Raises celery.exceptions.Reject -> task-rejected (requeue=False by default).

    acks_late=True is required: Request.reject() only sends task-rejected while the
    message is still unacknowledged (an early-acked task raising Reject sends nothing).
    Do not call it with requeue=True unless you want an endless redelivery loop.
    """
    raise Reject('rejected on purpose', requeue=requeue)


@app.task(name='tasks.progress', bind=True)
def progress(self, n=3, delay=0.1):
    """Custom event + custom state: n x task-progress(current=i, total=n).

    update_state(state='PROGRESS') only talks to the result backend (disabled here),
    it sends no event; the custom state seen by the events State comes from the
    task-progress events (state PROGRESS).
    """
    for i in range(1, int(n) + 1):
        self.send_event('task-progress', current=i, total=int(n))
        self.update_state(state='PROGRESS', meta={'current': i, 'total': int(n)})
        time.sleep(float(delay))
    return int(n)


@app.task(name='tasks.checkpoint', bind=True)
def checkpoint(self, label='cp', then_sleep=0):
    """Custom event type `task-checkpoint` (custom state CHECKPOINT) with extra fields."""
    self.send_event('task-checkpoint', label=label, meta={'nested': [1, 2, {'k': 'v'}]})
    if then_sleep:
        time.sleep(float(then_sleep))
    return label


@app.task(name='tasks.announce', bind=True)
def announce(self, greeting='hello'):
    """Publishes an event of a group the State has never heard of (`custom-hello`)
    through the worker app's event dispatcher, from inside the pool child."""
    with self.app.events.default_dispatcher(hostname=self.request.hostname) as d:
        d.send('custom-hello', greeting=greeting, task_id=self.request.id)
    return greeting


@app.task(name='tasks.spawn', bind=True)
def spawn(self, n=2, depth=1):
    """Sends n child add tasks (parent_id/root_id set) and, if depth > 1, one child
    spawn(n, depth - 1); also a 2-link chain add|add."""
    for i in range(int(n)):
        add.delay(i, i)
    if int(depth) > 1:
        spawn.delay(n, int(depth) - 1)
    (add.s(1, 1) | add.s(10)).delay()
    return int(n)


@app.task(name='tasks.echo')
def echo(*args, **kwargs):
    """Returns its arguments (use argsrepr=/kwargsrepr= overrides for huge reprs)."""
    return [list(args), kwargs]


@app.task(name='tasks.big_result')
def big_result(size=5000):
    """Returns 'x' * size; the result repr is capped at resultrepr_maxsize (1024)."""
    return 'x' * int(size)


@app.task(name='tasks.huge_result', resultrepr_maxsize=300 * 1024)
def huge_result(size=100000):
    """Like big_result but with resultrepr_maxsize raised to 300 KB: result field is huge."""
    return 'y' * int(size)
