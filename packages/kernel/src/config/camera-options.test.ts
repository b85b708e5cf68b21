// --camera-option values are typed by the camera's schema: JSON where the schema takes it, else the text typed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EvcamError } from '@evcam/camera-api';
import { z } from 'zod';
import { validateOptions } from '../cameras/loader.js';
import { parseCameraOptionFlags, parseCameraOptions } from './load.js';

const schema = z.strictObject({
  tablePrefix: z.string(),
  keep: z.number().int().positive().default(10),
  gzip: z.boolean().default(false),
  tags: z.array(z.string()).default([]),
  label: z.string().optional(),
  port: z.union([z.number(), z.string()]).optional(),
  tls: z.strictObject({ servername: z.string().optional() }).optional(),
});

const options = (...pairs: string[]) => validateOptions('sql', schema, parseCameraOptionFlags(pairs));

describe('--camera-option values typed by the camera schema', () => {
  test('a string option given digits, true or null receives the text; numbers, booleans and arrays stay JSON', async () => {
    assert.deepEqual(await options('tablePrefix=123', 'keep=5', 'gzip=true', 'tags=["a","b"]', 'label=null', 'tls.servername=2024'), {
      tablePrefix: '123', keep: 5, gzip: true, tags: ['a', 'b'], label: 'null', tls: { servername: '2024' },
    });
  });

  test('where both readings fit, JSON wins', async () => {
    assert.deepEqual(await options('tablePrefix=t', 'port=5432'), { tablePrefix: 't', keep: 10, gzip: false, tags: [], port: 5432 });
  });

  test('a value neither reading fits reports the JSON reading; another option\'s text still counts', async () => {
    await assert.rejects(options('tablePrefix=123', 'keep=-3'), (err: unknown) => {
      assert.ok(EvcamError.is(err) && err.code === 'EVCAM_ERR_CAMERA_OPTIONS');
      assert.match(err.message, /keep: Too small/i);
      assert.doesNotMatch(err.message, /tablePrefix/);
      return true;
    });
  });

  test('without a schema the camera receives the JSON reading, as parseCameraOptions gives it', async () => {
    const flags = ['keep=5', 'name=abc', 'on=true'];
    assert.deepEqual(await validateOptions('plain', undefined, parseCameraOptionFlags(flags)), parseCameraOptions(flags));
    assert.deepEqual(parseCameraOptions(flags), { keep: 5, name: 'abc', on: true });
  });
});
