import type { FoldedEvent, Logger } from '@evcam/camera-api';
import type { State } from '../container/services.js';
import type { CeleryEvent } from '../state/records.js';
import { checkEvent, decodeMessage, DecodeFailure, DEFAULT_DECODE_LIMITS, type DecodeLimits, type RawMessage } from './decode.js';
import { IngestMetrics, type BadInputReason } from './metrics.js';

/** Celery's CLIENT_CLOCK_SKEW: task-sent clocks are the receiver's clock minus one. */
const CLIENT_CLOCK_SKEW = -1;

/** The receiver's utcoffset as Celery computes it: hours west of UTC, floored. */
export function systemUtcoffset(): number {
  return Math.floor(new Date().getTimezoneOffset() / 60);
}

/** A camera that wants every folded event (its optional onEvent), and where its throws go. */
export interface EventSink {
  readonly camera: { onEvent?(event: FoldedEvent): void };
  eventFailed(err: unknown): void;
}

export interface IngestorOptions extends DecodeLimits {
  /** Hours west of UTC of this receiver (Celery's utils.time.utcoffset()). */
  localUtcoffset: () => number;
}

/**
 * The one path every event takes, live or replayed: decode the body, check each
 * event, apply Celery's receiver-side adjustments (EventReceiver.event_from_message),
 * fold into the State. Bad input is counted and skipped, never thrown.
 */
export class Ingestor {
  readonly metrics = new IngestMetrics();
  /** The receiver's Lamport clock (kombu LamportClock). */
  private lamport = 0;
  private held: CeleryEvent[] | null = null;
  private utcoffset: number;
  private utcoffsetCheckedAt = 0;
  private readonly limits: DecodeLimits;
  private readonly localUtcoffset: () => number;
  private readonly loggedContentTypes = new Set<string>();
  private lastBadLog = 0;
  private suppressedBadLogs = 0;
  /** Called after each folded event (used for --limit); null when nobody listens. */
  onFold: ((folded: number) => void) | null = null;
  /** Called with every event as decoded from the wire, before adjustment (used by `dump`). */
  onDecoded: ((event: CeleryEvent, receivedAt: number) => void) | null = null;
  /** Only the cameras that define onEvent, precomputed: none costs one null check per event. */
  private eventSinks: EventSink[] | null = null;

  constructor(
    private readonly state: State,
    private readonly logger: Logger,
    options: Partial<IngestorOptions> = {},
  ) {
    this.limits = { ...DEFAULT_DECODE_LIMITS, ...options };
    this.localUtcoffset = options.localUtcoffset ?? systemUtcoffset;
    this.utcoffset = this.localUtcoffset();
  }

  /** The receiver's Lamport clock, saved and restored by checkpoints. */
  get lamportClock(): number {
    return this.lamport;
  }

  set lamportClock(value: number) {
    this.lamport = value;
  }

  /** Receive one broker message (a single event or a task.multi array). */
  receive(msg: RawMessage, receivedAt: number): void {
    this.receiveBody(msg.body, msg.contentType, msg.contentEncoding, msg.compression, receivedAt);
  }

  /** receive() for the hot path: the message's parts as arguments, so no message object is built. */
  receiveBody(body: Buffer | string, contentType: string | undefined, contentEncoding: string | undefined,
    compression: string | undefined, receivedAt: number): void {
    this.metrics.messages++;
    const value = decodeMessage(body, contentType, contentEncoding, compression, this.limits);
    if (value instanceof DecodeFailure) {
      this.bad(value.reason, value.detail);
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) this.receiveEvent(value[i], receivedAt);
    } else {
      this.receiveEvent(value, receivedAt);
    }
  }

  /** Receive one decoded event object (also used for plain-event replay lines). */
  receiveEvent(value: unknown, receivedAt: number): void {
    const reason = checkEvent(value, this.limits.maxDepth);
    if (reason !== null) {
      this.bad(reason);
      return;
    }
    const ev = value as CeleryEvent;
    if (this.onDecoded !== null) this.onDecoded(ev, receivedAt);
    this.adjust(ev, receivedAt);
    if (this.held !== null) this.held.push(ev);
    else this.fold(ev);
  }

  /** Celery's EventReceiver.event_from_message: Lamport clock, timezone, local_received. */
  private adjust(ev: CeleryEvent, receivedAt: number): void {
    if (ev.type === 'task-sent') {
      // clients never sync, so their clock cannot be used
      const c = (this.lamport || 1) + CLIENT_CLOCK_SKEW;
      ev.clock = c;
      this.lamport = Math.max(this.lamport, c) + 1;
    } else if (ev.clock !== undefined) {
      this.lamport = Math.max(this.lamport, ev.clock) + 1;
    } else {
      ev.clock = ++this.lamport;
    }
    if (ev.utcoffset !== undefined && ev.timestamp !== undefined) {
      ev.timestamp = ev.timestamp - (ev.utcoffset - this.here(receivedAt)) * 3600;
    }
    ev.local_received = receivedAt;
  }

  /** Our own utcoffset, re-read at most once a minute (DST changes). */
  private here(now: number): number {
    if (now - this.utcoffsetCheckedAt >= 60 || now < this.utcoffsetCheckedAt) {
      this.utcoffset = this.localUtcoffset();
      this.utcoffsetCheckedAt = now;
    }
    return this.utcoffset;
  }

  /** The cameras to call onEvent on, in this order, after each fold. */
  setCameras(cameras: readonly EventSink[]): void {
    const sinks = cameras.filter((c) => typeof c.camera.onEvent === 'function');
    this.eventSinks = sinks.length > 0 ? sinks : null;
  }

  private fold(ev: CeleryEvent): void {
    this.state.event(ev);
    const m = this.metrics;
    m.folded++;
    const type = ev.type;
    m.foldedByType.set(type, (m.foldedByType.get(type) ?? 0) + 1);
    if (!type.startsWith('task-') && !type.startsWith('worker-')) m.ignoredGroups++;
    const lag = (ev.local_received as number) - (ev.timestamp as number);
    if (lag === lag) {
      m.lagSum += lag;
      m.lagCount++;
      m.lastLag = lag;
      if (lag > m.lagMax) m.lagMax = lag;
    }
    if (this.eventSinks !== null) this.dispatch(this.eventSinks, ev);
    if (this.onFold !== null) this.onFold(m.folded);
  }

  private dispatch(sinks: EventSink[], ev: FoldedEvent): void {
    for (let i = 0; i < sinks.length; i++) {
      const sink = sinks[i];
      try {
        sink.camera.onEvent!(ev);
      } catch (err) {
        sink.eventFailed(err);
      }
    }
  }

  /**
   * Hold events (buffered in arrival order, not applied) until released;
   * release(true) clears the State first. This is Celery's freeze_while for an
   * asynchronous shutter with clear_after.
   */
  hold(): (clear: boolean) => void {
    if (this.held !== null) throw new Error('Ingestor.hold() is not reentrant');
    this.held = [];
    return (clear: boolean) => {
      const held = this.held ?? [];
      this.held = null;
      if (clear) this.state.clear();
      for (const ev of held) this.fold(ev);
    };
  }

  get holding(): number {
    return this.held?.length ?? -1;
  }

  /** Count, and log at most once a second (plus once per refused content type, with the fix). */
  bad(reason: BadInputReason, detail?: string): void {
    this.metrics.countBad(reason);
    if (reason === 'content-type') {
      const key = detail ?? '(none)';
      if (!this.loggedContentTypes.has(key) && this.loggedContentTypes.size < 100) {
        this.loggedContentTypes.add(key);
        this.logger.warn({ contentType: key },
          "refusing event messages that are not JSON (pickle and other serializers are never deserialized): set event_serializer = 'json' in the Celery config of the workers sending them");
      }
      return;
    }
    const now = Date.now();
    if (now - this.lastBadLog >= 1000) {
      this.logger.warn({ reason, detail, suppressed: this.suppressedBadLogs, totals: Object.fromEntries(this.metrics.bad) },
        'skipped a bad event message');
      this.lastBadLog = now;
      this.suppressedBadLogs = 0;
    } else {
      this.suppressedBadLogs++;
    }
  }
}
