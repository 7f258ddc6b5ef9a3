import type { Agent } from 'node:http';

/** The server and credentials the phases share. */
export interface LongPollContext {
  baseUrl: string;
  pid: number;
  /** A tenant API key. */
  apiKey: string;
  /** Keep-alive agent for publishing and one-off reads. */
  agent: Agent;
}
