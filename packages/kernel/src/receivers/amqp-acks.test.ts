// The AMQP receiver's ack policy, without a broker: fold mode batches, checkpoint mode's backlog signal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ACK_EVERY, AckBatch, checkpointBacklogAt } from './amqp-acks.js';

describe('AckBatch (fold mode)', () => {
  test('the first delivery of a batch arms the delay, the next ones wait, the ACK_EVERY-th flushes', () => {
    const batch = new AckBatch<number>();
    const steps = Array.from({ length: ACK_EVERY }, (_, i) => batch.add(i + 1));
    assert.equal(steps[0], 'arm');
    assert.ok(steps.slice(1, -1).every((s) => s === 'wait'));
    assert.equal(steps.at(-1), 'flush');
    assert.equal(batch.size, ACK_EVERY);
  });

  test('take() hands back the newest delivery (one multiple-ack covers the batch) and starts afresh', () => {
    const batch = new AckBatch<string>(3);
    assert.deepEqual([batch.add('a'), batch.add('b')], ['arm', 'wait']);
    assert.equal(batch.take(), 'b');
    assert.deepEqual([batch.size, batch.take()], [0, null], 'nothing left to ack');
    assert.deepEqual([batch.add('c'), batch.add('d'), batch.add('e')], ['arm', 'wait', 'flush'], 'after a take the next delivery arms again');
    assert.equal(batch.take(), 'e');
  });

  test('a batch of one flushes at once', () => {
    assert.equal(new AckBatch<number>(1).add(1), 'flush');
  });
});

describe('checkpointBacklogAt', () => {
  test('asks for a checkpoint at half the prefetch window, at least one message', () => {
    assert.deepEqual([checkpointBacklogAt(2000), checkpointBacklogAt(3), checkpointBacklogAt(1)], [1000, 1, 1]);
  });
});
