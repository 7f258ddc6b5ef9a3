import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** An HTTP server on 127.0.0.1 that answers 204 and records every TCP connection it accepts. */
export interface ConnectionRecorder {
  port: number;
  /** The peer port of each connection accepted, in order. */
  connections: number[];
  /**
   * Opens a connection of its own and resolves once the server has accepted it, so every
   * connection made before the call has been recorded by then; returns the count before it.
   */
  connectionsSoFar(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a connection recorder on a random port. */
export async function startConnectionRecorder(): Promise<ConnectionRecorder> {
  const server = createServer((_req, res) => res.writeHead(204).end());
  const sockets = new Set<Socket>();
  const recorder: ConnectionRecorder = {
    port: 0,
    connections: [],
    async connectionsSoFar() {
      const probe = connect(recorder.port, '127.0.0.1');
      sockets.add(probe);
      try {
        await once(probe, 'connect');
        const port = probe.localPort;
        // The server accepts in arrival order: when it has seen the probe, it has seen the rest.
        while (!recorder.connections.includes(port ?? -1)) await once(server, 'connection');
        return recorder.connections.indexOf(port ?? -1);
      } finally {
        probe.destroy();
      }
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  server.on('connection', (socket: Socket) => {
    recorder.connections.push(socket.remotePort ?? 0);
    sockets.add(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  recorder.port = (server.address() as AddressInfo).port;
  return recorder;
}
