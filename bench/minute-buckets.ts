import { type LatencySummary, summarizeLatencies } from './summarize-latencies';

/**
 * Latencies grouped by the minute of the run their event was created in, so a slow minute is
 * charged to the load of that minute even when its answers arrive in the next one.
 */
export class MinuteBuckets {
  private readonly minutes: number[][] = [];

  /** @param startEpochMs when minute 0 began, epoch ms (see `epochMs`) */
  constructor(private readonly startEpochMs: number) {}

  /** Records `latencyMs` for an event created at `createdEpochMs`; earlier events are ignored. */
  add(createdEpochMs: number, latencyMs: number): void {
    const minute = Math.floor((createdEpochMs - this.startEpochMs) / 60_000);
    if (minute < 0) return;
    (this.minutes[minute] ??= []).push(latencyMs);
  }

  /** One summary per minute, from minute 0; an empty minute has a zero count. */
  summaries(): LatencySummary[] {
    return Array.from(this.minutes, (samples) => summarizeLatencies(samples ?? []));
  }
}
