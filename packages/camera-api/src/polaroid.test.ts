import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API_VERSION, EvcamError, ErrorCodes, isCameraClass, Polaroid, Signal, silentLogger, type CameraServices, type Snapshot } from './index.js';

const services: CameraServices = { clock: { now: () => 1 }, timer: { callLater: () => () => {}, callRepeatedly: () => () => {} } };

class Cam extends Polaroid<{ dir: string }> {
  static override readonly cameraName = 'cam';
  override onShutter(_snapshot: Snapshot): void {}
  /** What a camera reads from the kernel's services. */
  now(): number { return this.host.clock.now(); }
}

describe('Polaroid: the class a camera extends', () => {
  test('holds what the kernel gave the camera, and nothing that schedules', () => {
    const cam = new Cam({ name: 'cam', options: { dir: 'x' }, logger: silentLogger, host: services, configDir: '/etc/evcam' });
    assert.equal(cam.name, 'cam');
    assert.deepEqual(cam.options, { dir: 'x' });
    assert.equal(cam.logger, silentLogger);
    assert.equal(cam.configDir, '/etc/evcam');
    assert.equal(cam.now(), 1);
    assert.deepEqual(Object.keys(cam).sort(), ['configDir', 'host', 'logger', 'name', 'options'], 'no engine state on the instance');
    const methods = Object.getOwnPropertyNames(Polaroid.prototype).sort();
    assert.deepEqual(methods, ['constructor', 'onCleanup', 'onClose', 'onInstall']);
  });

  test('configDir defaults to the working directory; default hooks do nothing', async () => {
    const cam = new Cam({ name: 'cam', options: { dir: 'x' }, logger: silentLogger, host: services });
    assert.equal(cam.configDir, process.cwd());
    assert.equal(await cam.onInstall(), undefined);
    assert.equal(await cam.onCleanup(), undefined);
    assert.equal(await cam.onClose(), undefined);
    assert.equal(cam.onEvent, undefined, 'onEvent is optional: the kernel only calls cameras that define it');
  });

  test('isCameraClass: any class with an apiVersion and onShutter, from any copy of this package', () => {
    assert.equal(Cam.apiVersion, API_VERSION);
    assert.equal(isCameraClass(Cam), true);
    assert.equal(isCameraClass(class { static apiVersion = 1; onShutter() {} }), true);
    assert.equal(isCameraClass(class { onShutter() {} }), false);
    assert.equal(isCameraClass(() => new Cam({ name: 'c', options: { dir: '' }, logger: silentLogger, host: services })), false);
  });
});

describe('errors and signals', () => {
  test('EvcamError carries a code and retryable, recognised across copies', () => {
    const err = new EvcamError(ErrorCodes.CAMERA_CLEANUP, 'retention failed', { retryable: true, cause: new Error('503') });
    assert.equal(err.code, 'EVCAM_ERR_CAMERA_CLEANUP');
    assert.equal(err.retryable, true);
    assert.equal(EvcamError.is(err), true);
    assert.equal(EvcamError.is(Object.assign(new Error('x'), { name: 'EvcamError', code: 'EVCAM_ERR_USAGE' })), true);
    assert.equal(EvcamError.is(new Error('x')), false);
  });

  test('a throwing signal receiver is isolated from the others', () => {
    const signal = new Signal<number>('evcam.test');
    const got: number[] = [];
    const off = signal.connect(() => { throw new Error('bad'); });
    signal.connect((n) => { got.push(n); });
    signal.send(1);
    off();
    signal.send(2);
    assert.deepEqual(got, [1, 2]);
    assert.equal(signal.size, 1);
  });
});
