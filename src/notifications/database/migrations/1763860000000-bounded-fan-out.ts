import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fan-out finds an event's subscriptions through an index instead of testing every pattern of
 * every subscription of the tenant, and a replay keeps what it still has to schedule in a row of
 * its own, which a background pager works through a page per transaction.
 *
 * An event topic is matched by at most a handful of patterns: itself, each dotted prefix
 * followed by `.*`, and `*` (not for operational `webhook.*` topics, which only subscriptions
 * naming them receive). Keyed by tenant, those candidates are looked up in a GIN index over the
 * subscriptions' own patterns, so the cost per event depends on the topic's depth and the number
 * of subscriptions that do match, not on how many or how long the patterns that miss are.
 */
export class BoundedFanOut1763860000000 implements MigrationInterface {
  name = 'BoundedFanOut1763860000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Each pattern of a tenant's subscription, as an index key of that tenant. Patterns longer
    // than a topic may be (200 characters) are left out, so that an index entry always fits;
    // subscriptions that held one before the limit existed are disabled below, with the reason.
    await queryRunner.query(`
      CREATE FUNCTION herald.tenant_topic_keys(tenant_id uuid, patterns text[]) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(tenant_id::text || ' ' || p), '{}')
        FROM unnest(patterns) p WHERE length(p) <= 200
      $$`);
    // The keys of every pattern that matches `topic` by the rules of herald.topic_matches: the
    // topic, each dotted prefix followed by `.*`, and `*` unless the topic is operational.
    await queryRunner.query(`
      CREATE FUNCTION herald.topic_candidate_keys(tenant_id uuid, topic text) RETURNS text[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT array_agg(tenant_id::text || ' ' || c) FROM (
          SELECT topic AS c
          UNION ALL
          SELECT left(topic, sum(length(word) + 1) OVER (ORDER BY n)::int) || '*'
          FROM unnest((string_to_array(topic, '.'))[1:length(topic) - length(replace(topic, '.', ''))])
            WITH ORDINALITY AS words (word, n)
          UNION ALL
          SELECT '*' WHERE NOT starts_with(topic, 'webhook.')
        ) candidates
      $$`);
    await queryRunner.query(`
      UPDATE herald.subscriptions
      SET enabled = false, updated_at = now(),
          disabled_reason = 'a topic is longer than 200 characters; shorten its topics and enable it'
      WHERE enabled AND EXISTS (SELECT 1 FROM unnest(topics) t WHERE length(t) > 200)`);
    // Without fastupdate: new entries would wait in a pending list that every lookup reads through
    // until a vacuum merges it (up to 4 MB: 100 subscriptions' worth of long patterns), and
    // subscriptions change seldom enough that merging them at once costs nothing that matters.
    await queryRunner.query(`
      CREATE INDEX subscriptions_topic_keys_idx ON herald.subscriptions
        USING gin (herald.tenant_topic_keys(tenant_id, topics)) WITH (fastupdate = off)`);
    // A row of its own rather than columns of the subscription: pages lock it, and a subscription's
    // row is written by delivery outcomes (failing_since) that must never wait for a replay.
    await queryRunner.query(`
      CREATE TABLE herald.replays (
        subscription_id uuid PRIMARY KEY REFERENCES herald.subscriptions (id) ON DELETE CASCADE,
        after_position bigint NOT NULL,
        through_position bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        paged_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE herald.replays`);
    await queryRunner.query(`DROP INDEX herald.subscriptions_topic_keys_idx`);
    await queryRunner.query(`DROP FUNCTION herald.tenant_topic_keys(uuid, text[])`);
    await queryRunner.query(`DROP FUNCTION herald.topic_candidate_keys(uuid, text)`);
  }
}
