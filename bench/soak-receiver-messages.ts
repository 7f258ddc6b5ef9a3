import type { LatencySummary } from './summarize-latencies';

/** What the soak asks its receiver child over IPC; `seq` pairs a question with its answer. */
export type SoakReceiverQuestion =
  /** Start timing first attempts, by the minute their event was created, from `startEpochMs`. */
  | { seq: number; kind: 'start'; startEpochMs: number }
  /** Everything counted so far. */
  | { seq: number; kind: 'report' };

/** What the receiver saw on one subscription's path (`/soak/<index>`). */
export interface SoakSubscriptionCounts {
  /** Requests received, retries included. */
  requests: number;
  /** Answered 2xx. */
  succeeded: number;
  /** Answered 500 on purpose. */
  refused: number;
  /** Requests for an event this path had seen before (retries of refused attempts, and any other). */
  repeated: number;
  /** Requests for an event this path had already answered 2xx: a delivery sent again after success. */
  afterSuccess: number;
  /** Distinct events answered 2xx at least once. */
  distinctSucceeded: number;
}

/** The receiver's answer to `report`. */
export interface SoakReceiverReport {
  subscriptions: SoakSubscriptionCounts[];
  /** Event created (publisher's clock) to the first attempt's arrival here, ms, per minute. */
  firstAttempt: LatencySummary[];
  /** Requests whose body had no `data.s` and `data.t` numbers (not the soak's events). */
  unreadable: number;
}

/** The receiver's messages: `listening` once, then one answer per question. */
export type SoakReceiverMessage =
  | { kind: 'listening'; port: number }
  | { seq: number; kind: 'start' }
  | { seq: number; kind: 'report'; report: SoakReceiverReport };
