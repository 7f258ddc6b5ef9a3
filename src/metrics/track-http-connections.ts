import type { Server } from 'node:http';
import { Gauge, type Registry } from 'prom-client';

/** Counts the HTTP server's open connections in `herald_http_open_connections`. */
export function trackHttpConnections(server: Server, registry: Registry): void {
  const gauge = new Gauge({
    name: 'herald_http_open_connections',
    help: 'TCP connections open on the HTTP server (held polls, streams, keep-alive)',
    registers: [registry],
  });
  server.on('connection', (socket) => {
    gauge.inc();
    socket.once('close', () => gauge.dec());
  });
}
