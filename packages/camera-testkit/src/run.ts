import { test } from 'node:test';
import { conformance, type CameraUnderTest, type ConformanceOptions } from './conformance.js';

/**
 * Register the conformance checks as node:test tests: a plugin's test file is
 * this one call. Each lifecycle phase is its own subtest, so a failure names
 * the promise the camera broke.
 */
export function runCameraConformance(camera: CameraUnderTest, options: ConformanceOptions = {}): void {
  const title = `camera conformance: ${options.name ?? (camera as { cameraName?: string }).cameraName ?? camera.name}`;
  test(title, async (t) => {
    await conformance(camera, options, async (name, fn, skip) => {
      let passed = skip === undefined;
      await t.test(name, skip === undefined ? {} : { skip }, async () => {
        await fn();
        passed = true;
      });
      return passed && skip === undefined;
    });
  });
}

export interface ConformanceResult {
  name: string;
  passed: boolean;
  skipped?: string;
  error?: unknown;
}

/** The same checks without node:test: returns one result per check (for custom runners and the kit's own tests). */
export async function checkCameraConformance(camera: CameraUnderTest, options: ConformanceOptions = {}): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  await conformance(camera, options, async (name, fn, skip) => {
    if (skip !== undefined) {
      results.push({ name, passed: false, skipped: skip });
      return false;
    }
    try {
      await fn();
      results.push({ name, passed: true });
      return true;
    } catch (error) {
      results.push({ name, passed: false, error });
      return false;
    }
  });
  return results;
}
