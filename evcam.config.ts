import { defineConfig } from 'evcam-kernel';

// The embedded default: local RabbitMQ, file camera into ./snapshots, a shutter every second.
export default defineConfig({
  broker: 'amqp://guest:guest@127.0.0.1:5672//',
  camera: 'file',
  cameraOptions: { dir: './snapshots' },
  freq: 1.0,
});
