/** A cancel handle returned by the Timer. */
export type Cancel = () => void;

/** The kernel's clock: epoch seconds as a float, like Python's time.time(). */
export interface Clock {
  now(): number;
}

/**
 * Celery's timer, reduced to what cameras need. The kernel injects one; tests
 * inject a fake driven by a fake Clock.
 */
export interface Timer {
  /** Call fn every `secs` seconds, the first time `secs` after now. */
  callRepeatedly(secs: number, fn: () => void): Cancel;
  /** Call fn once, `secs` seconds from now. */
  callLater(secs: number, fn: () => void): Cancel;
}

type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

/** The subset of pino's logger that cameras may use. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything (handy in unit tests). */
export const silentLogger: Logger = {
  trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {},
  child() { return silentLogger; },
};
