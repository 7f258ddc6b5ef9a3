import { createHash } from 'node:crypto';

/**
 * The `components.schemas` name of each event type's payload: its topic's words in PascalCase
 * with `Event` after them (`order.created` → `OrderCreatedEvent`, `invoice_v2.paid` →
 * `InvoiceV2PaidEvent`), so generated clients get a named type.
 *
 * Distinct topics can share such a name (`order.created`, `order_created`), and a host's own
 * schema may already hold it. Every topic whose name is shared that way gets an 8-hex suffix of
 * its topic's SHA-256 instead (`OrderCreatedEvent_1a2b3c4d`): a function of the topic alone, so it
 * does not depend on the order of declarations, and no name ever stands for two schemas.
 */
export function eventSchemaNames(
  topics: readonly string[],
  taken: ReadonlySet<string> = new Set(),
): Map<string, string> {
  const wanted = new Map(topics.map((topic) => [topic, pascalName(topic)]));
  const uses = new Map<string, number>();
  for (const name of wanted.values()) uses.set(name, (uses.get(name) ?? 0) + 1);
  const names = new Map<string, string>();
  for (const [topic, name] of wanted) {
    const shared = (uses.get(name) ?? 0) > 1 || taken.has(name);
    names.set(topic, shared ? `${name}_${topicHash(topic)}` : name);
  }
  return names;
}

function pascalName(topic: string): string {
  const words = topic.split(/[._-]+/).filter((word) => word.length > 0);
  return `${words.map((word) => word[0].toUpperCase() + word.slice(1)).join('')}Event`;
}

function topicHash(topic: string): string {
  return createHash('sha256').update(topic).digest('hex').slice(0, 8);
}
