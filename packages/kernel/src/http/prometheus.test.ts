import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrometheusText } from './prometheus.js';

test('renders HELP/TYPE lines and escapes label values and help text', () => {
  const text = new PrometheusText()
    .family('evcam_bad_messages_total', 'counter', 'Refused messages\nby reason', [[{ reason: 'a"b\\c\nd' }, 3]])
    .one('evcam_up', 'gauge', 'Up', 1)
    .toString();
  assert.equal(text, [
    '# HELP evcam_bad_messages_total Refused messages\\nby reason',
    '# TYPE evcam_bad_messages_total counter',
    'evcam_bad_messages_total{reason="a\\"b\\\\c\\nd"} 3',
    '# HELP evcam_up Up',
    '# TYPE evcam_up gauge',
    'evcam_up 1',
    '',
  ].join('\n'));
});

test('renders special float values as Prometheus spells them', () => {
  const text = new PrometheusText().family('x', 'gauge', 'x', [[{ a: '1' }, NaN], [{ a: '2' }, Infinity], [{ a: '3' }, -Infinity]]).toString();
  assert.match(text, /x\{a="1"\} NaN\nx\{a="2"\} \+Inf\nx\{a="3"\} -Inf\n$/);
});
