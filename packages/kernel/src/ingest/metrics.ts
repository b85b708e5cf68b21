/** Why a message or event was not folded. Each is a counter on /metrics. */
export type BadInputReason =
  | 'content-type'      // not application/json (pickle, yaml, msgpack, raw, ...)
  | 'compression'       // a compression we cannot decode
  | 'encoding'          // content-encoding other than utf-8
  | 'too-large'         // body over receiver.maxBodyBytes
  | 'invalid-json'      // body is not JSON
  | 'too-deep'          // a value nested deeper than we store safely
  | 'not-an-event'      // JSON, but not an event object (or array of them)
  | 'missing-type'      // no `type`
  | 'bad-type'          // `type` not a string of the form group-subject
  | 'missing-field'     // task event without uuid/hostname/timestamp, worker event without hostname/timestamp
  | 'bad-field-type'    // e.g. timestamp as a string, clock not a number
  | 'bad-envelope';     // Redis: the kombu envelope could not be decoded

/** Counters of the ingestion path. Plain fields: they are bumped per event. */
export class IngestMetrics {
  messages = 0;
  folded = 0;
  readonly foldedByType = new Map<string, number>();
  readonly bad = new Map<BadInputReason, number>();
  /** Events of groups other than task/worker: counted by State like Celery, otherwise ignored. */
  ignoredGroups = 0;
  /** Lag between an event's (adjusted) timestamp and its fold, seconds. */
  lagSum = 0;
  lagCount = 0;
  lagMax = 0;
  lastLag = 0;

  countBad(reason: BadInputReason, n = 1): void {
    this.bad.set(reason, (this.bad.get(reason) ?? 0) + n);
  }

  badTotal(): number {
    let total = 0;
    for (const n of this.bad.values()) total += n;
    return total;
  }
}
