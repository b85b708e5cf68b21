import { EvcamError, ErrorCodes } from '@evcam/camera-api';

export async function newCamera(name: string, _dir?: string): Promise<void> {
  throw new EvcamError(ErrorCodes.USAGE, `new-camera ${name}: not available yet.`);
}
