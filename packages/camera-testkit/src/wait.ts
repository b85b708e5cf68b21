// The one polling helper lives beside the one backoff, so the kernel's own tests can use it too.
export { waitUntil } from '@evcam/retry';
