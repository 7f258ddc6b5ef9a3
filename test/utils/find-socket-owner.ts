import { readFile, readdir, readlink } from 'node:fs/promises';

/** The socket's inode from /proc/net/tcp, where ports are written as 4 hex digits. */
async function findSocketInode(localPort: number, remotePort: number): Promise<string | undefined> {
  const local = `:${localPort.toString(16).toUpperCase().padStart(4, '0')}`;
  const remote = `:${remotePort.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8')).split('\n').slice(1);
    for (const line of lines) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[1].endsWith(local) && fields[2].endsWith(remote) && fields[9] !== '0')
        return fields[9];
    }
  }
  return undefined;
}

/**
 * Which of `pids` holds the TCP socket whose own port is `localPort` and whose peer's port is
 * `remotePort` (Linux only: /proc). A server sees a client's port as the peer's, so this names the
 * process behind a connection it accepted: which worker sent a webhook, which process holds a
 * Postgres session. The socket must still be open. Undefined when none of `pids` holds it.
 */
export async function findSocketOwner(
  localPort: number,
  remotePort: number,
  pids: readonly number[],
): Promise<number | undefined> {
  const inode = await findSocketInode(localPort, remotePort);
  if (inode === undefined) return undefined;
  const link = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue; // the process has exited
    }
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (target === link) return pid;
    }
  }
  return undefined;
}
