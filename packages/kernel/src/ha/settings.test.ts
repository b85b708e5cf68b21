import assert from 'node:assert/strict';
import { test } from 'node:test';
import { peerQueueNames } from './peer-queues.js';
import { haQueueName, haSchema, haSettings } from './settings.js';

test('ha settings: the node defaults to the host name; renewals three per local lease; each node its own queue; peers exclude self', () => {
  const s = haSettings(haSchema.parse({ group: 'prod', lease: '6s', nodes: ['a', 'b', 'c'] }), 'b');
  assert.equal(s.node, 'b');
  assert.equal(s.lease, 6);
  assert.equal(s.renewEvery, 1);
  assert.deepEqual(s.peers, ['a', 'c']);
  assert.equal(haQueueName(undefined, s), 'evcam.prod.b');
  assert.equal(haQueueName('events', s), 'events.b');
  assert.deepEqual(peerQueueNames('events.b', s), ['events.a', 'events.c']);
  assert.equal(haSettings(haSchema.parse({ group: 'g' }), 'host one/two').node, 'host-one-two', 'a host name made safe for queue names');
  assert.throws(() => haSchema.parse({ group: 'g', lease: 0 }));
});
