export { runCameraConformance, checkCameraConformance, type ConformanceResult } from './run.js';
export { conformance, type CameraUnderTest, type ConformanceOptions, type KitContext, type Step } from './conformance.js';
export { backendProblems, incrementalProblems, orderProblems, type BackendView } from './checks.js';
export { fixtureSnapshot, Harness } from './harness.js';
export { FakeHost } from './fake-host.js';
export { DEFAULT_FIXTURE, readDeliveries, deliver, type Delivery } from './fixture.js';
export { Recorder } from './recorder.js';
export { parseOptionsWith, sampleTask, sampleWorker } from './samples.js';
export { RecordingLogger } from './recording-logger.js';
