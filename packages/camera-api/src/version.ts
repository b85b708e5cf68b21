/**
 * The camera API version. A camera records the version it was built against
 * (inherited as `Polaroid.apiVersion`); the kernel refuses cameras whose
 * version it does not support, with EVCAM_ERR_API_VERSION.
 * Bump on any incompatible change to Polaroid, CameraHost or the snapshot.
 */
export const API_VERSION = 1;
