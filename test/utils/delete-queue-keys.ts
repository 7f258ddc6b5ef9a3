import Bull from 'bull';

/**
 * Deletes every Redis key under `prefix`: what an app's Bull queue leaves behind, jobs
 * hinted while it shut down and job hashes orphaned by emptying the queue included. Run it once
 * the app is closed; returns how many keys went.
 */
export async function deleteQueueKeys(redisUrl: string, prefix: string): Promise<number> {
  // Only for its Redis connection: a queue that is never used writes no keys of its own.
  const queue = new Bull('cleanup', redisUrl, { prefix });
  try {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await queue.client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await queue.client.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await queue.close();
  }
}
