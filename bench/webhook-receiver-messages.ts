/** What the benchmark asks its receiver child over IPC; `seq` pairs a question with its answer. */
export type ReceiverQuestion =
  /** How many requests were answered 2xx so far. */
  | { seq: number; kind: 'count' }
  /** Start recording the first arrival time of each `webhook-id` (forgets earlier ones). */
  | { seq: number; kind: 'track' }
  /** Stop recording and hand the arrivals over. */
  | { seq: number; kind: 'arrivals' };

/** The receiver's messages: `listening` once, then one answer per question. */
export type ReceiverMessage =
  | { kind: 'listening'; port: number }
  | { seq: number; kind: 'count'; answered: number; at: number }
  | { seq: number; kind: 'track' }
  /** `[webhook-id, epoch ms of the request's arrival]` pairs. */
  | { seq: number; kind: 'arrivals'; arrivals: [string, number][] };
