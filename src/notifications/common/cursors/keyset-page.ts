import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodePageCursor, encodePageCursor, type PagePosition } from './page-cursor';

/** Rows of a list page when the query asks for no other number. */
const DEFAULT_PAGE_SIZE = 20;

/**
 * One page of the rows `builder` selects, in (created_at, id) order, oldest first (`ASC`) or
 * newest first (`DESC`), after the position a `?cursor=` names (`invalid_cursor` for one this API
 * did not make); `nextCursor` is null on the last page. Keyset, not offset: a page costs the same
 * however deep it is, and rows added meanwhile neither repeat nor go missing.
 */
export async function keysetPage<T extends ObjectLiteral & PagePosition>(
  builder: SelectQueryBuilder<T>,
  order: 'ASC' | 'DESC',
  query: { limit?: number; cursor?: string },
): Promise<{ data: T[]; nextCursor: string | null }> {
  const row = builder.alias;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  builder
    .orderBy(`${row}.created_at`, order)
    .addOrderBy(`${row}.id`, order)
    .take(limit + 1);
  if (query.cursor !== undefined) {
    const after = order === 'ASC' ? '>' : '<';
    builder.andWhere(
      `(${row}.created_at, ${row}.id) ${after} (:createdAt, :id)`,
      decodePageCursor(query.cursor),
    );
  }
  const rows = await builder.getMany();
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last ? encodePageCursor(last) : null };
}
