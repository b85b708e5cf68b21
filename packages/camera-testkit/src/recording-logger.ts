import type { Logger } from '@evcam/camera-api';

/** A logger that keeps every call, so tests can read what was (and was not) logged. */
export class RecordingLogger implements Logger {
  readonly records: { level: string; obj: unknown; msg?: string }[] = [];
  trace = this.at('trace'); debug = this.at('debug'); info = this.at('info');
  warn = this.at('warn'); error = this.at('error'); fatal = this.at('fatal');
  child(): Logger { return this; }
  /** Everything logged, as one string (what would reach a log file); errors as name and message. */
  text(): string {
    return JSON.stringify(this.records, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  }
  at(level: string) {
    return (obj: unknown, msg?: string): void => { this.records.push({ level, obj, msg }); };
  }
}
