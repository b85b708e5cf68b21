import type { Logger, TakenSnapshot } from '@evcam/camera-api';
import type { CheckpointMetrics, RestoreOutcome } from '../checkpoint/checkpointer.js';
import type { HaStatus } from '../ha/coordinator.js';
import type { SavedState, StateMark } from '../checkpoint/state-codec.js';
import type { ResolvedConfig } from '../config/schema.js';
import type { ShutterEngine } from '../engine/shutter-engine.js';
import type { Ingestor } from '../ingest/ingestor.js';
import type { Receiver } from '../receivers/receiver.js';
import type { CeleryEvent } from '../state/records.js';

/**
 * What the rest of the kernel needs from the State: ingest folds and clears,
 * cameras cut snapshots, checkpoints save and restore, health reads sizes.
 * CeleryState is the implementation; `components.state` may replace it.
 */
export interface State {
  /** Celery's State.event(): fold one receiver-adjusted event. */
  event(event: CeleryEvent): void;
  /** Celery's State.clear(ready). */
  clear(ready?: boolean): void;
  /**
   * A consistent cut: the snapshot numbered `seq`, `changed` = touched after `since`.
   * `reader` (one per camera) lets the State keep only the removals that reader can still ask for.
   */
  snapshot(since: number, seq: number, now: number, reader?: object): TakenSnapshot;
  /** The State as a checkpoint carries it. */
  save(): SavedState;
  /**
   * Optional: JSON.stringify(save()) as pieces to concatenate (one per task), so a large
   * State is written without one document-sized string.
   */
  saveJson?(): string[];
  /** Optional, with saveChangesJson: where the State is now (taken with each checkpoint). */
  mark?(): StateMark;
  /**
   * Optional: what changed since `since` as a checkpoint journal entry (JSON pieces of a
   * SavedChanges), or null when the State cannot tell; then the checkpoint is written whole.
   */
  saveChangesJson?(since: StateMark): string[] | null;
  /** Refill an empty State from a checkpoint (throws IncompatibleCheckpoint for a malformed one). */
  restore(saved: SavedState): void;
  readonly eventCount: number;
  readonly taskCount: number;
  /** Held tasks and workers (LRU bounded): only their sizes are read outside the State. */
  readonly tasks: { readonly size: number };
  readonly workers: { readonly size: number };
}

/** Saves the State to a file and restores it at start (checkpoint/checkpointer.ts). */
export interface Checkpointer {
  readonly metrics: CheckpointMetrics;
  restore(): RestoreOutcome;
  every(interval: number): void;
  /** Write now (or right after the write in flight). Never rejects. */
  write(): Promise<void>;
  /** The final checkpoint at shutdown. */
  close(): Promise<void>;
}

/** /healthz and /metrics (http.ts). */
export interface HttpServer {
  start(): Promise<void>;
  /** The bound port once started (useful with port 0). */
  readonly port: number | null;
  close(): Promise<void>;
}

/**
 * Something that runs alongside the kernel (HA leadership, an exporter): bound
 * under Ids.KernelService (any number), started after the cameras and the
 * receiver, stopped after the final shutter, in reverse order.
 */
export interface KernelService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** What /healthz and /metrics read: the live parts, not the Kernel (so the server needs no Kernel). */
export interface KernelParts {
  readonly state: State;
  readonly ingestor: Ingestor;
  readonly receiver: Receiver;
  readonly cameras: readonly ShutterEngine[];
  readonly checkpointer: Checkpointer | null;
  /** HA: role, epoch, lease (absent without `ha`). */
  readonly ha?: { health(): HaStatus } | null;
}

/** Called with every event as decoded from the wire, before adjustment (`dump` binds one). */
export type DecodedEventSink = (event: CeleryEvent, receivedAt: number) => void;

/** What every user component's constructor receives (decorator-free classes). */
export interface ComponentServices {
  config: ResolvedConfig;
  /** Relative paths in the config resolve against this. */
  configDir: string;
  /** A child logger named after the component. */
  logger: Logger;
}
