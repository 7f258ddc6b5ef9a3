import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { decodeNameCursor, encodeNameCursor } from '../common/cursors/name-cursor';
import type { PageQuery } from '../common/cursors/page-query';
import { HERALD } from '../database/herald-names';
import { EVENT_TYPES_CHANNEL } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import { EventTypeCatalog } from './event-type-catalog';
import { EVENT_TYPE_NAME_RULE, isEventTypeName } from './event-type-name';
import type { EventTypeView, JsonSchema } from './event-type.types';
import type { PutEventTypeDto } from './dto/put-event-type.dto';

/** Rows of a page when the query asks for no other number. */
const DEFAULT_PAGE_SIZE = 20;

// One statement, so the NOTIFY goes out exactly when the change commits. A row whose xmax is 0
// was inserted, not updated.
const UPSERT = `
  WITH upserted AS (
    INSERT INTO ${HERALD.event_types} AS t (name, description, schema, deprecated)
    VALUES ($1, $2, $3::jsonb, $4)
    ON CONFLICT (name) DO UPDATE
      SET description = EXCLUDED.description, schema = EXCLUDED.schema,
          deprecated = EXCLUDED.deprecated, updated_at = now()
    RETURNING t.name, t.description, t.schema, t.deprecated, (t.xmax = 0) AS created)
  SELECT name, description, schema, deprecated, created, pg_notify('${EVENT_TYPES_CHANNEL}', name)
  FROM upserted`;

const DELETE = `
  WITH deleted AS (DELETE FROM ${HERALD.event_types} WHERE name = $1 RETURNING name)
  SELECT name, pg_notify('${EVENT_TYPES_CHANNEL}', name) FROM deleted`;

interface UpsertedRow {
  name: string;
  description: string | null;
  schema: JsonSchema | null;
  deprecated: boolean;
  created: boolean;
}

/** What a PUT came to: the type, and whether it was new. */
export interface PutEventType {
  eventType: EventTypeView;
  created: boolean;
}

/** The event-type catalog's API: listing it, and the types admins declare at run time. */
@Injectable()
export class EventTypesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(EventTypeCatalog) private readonly catalog: EventTypeCatalog,
  ) {}

  /** A page of the catalog, by name. */
  list(query: PageQuery): { data: EventTypeView[]; nextCursor: string | null } {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const after =
      query.cursor === undefined ? undefined : decodeNameCursor(query.cursor, isEventTypeName);
    const rest = this.catalog.list().filter((type) => after === undefined || type.name > after);
    const data = rest.slice(0, limit);
    const last = data.at(-1);
    return { data, nextCursor: rest.length > limit && last ? encodeNameCursor(last.name) : null };
  }

  /**
   * Declares event type `name`, or replaces the one declared so before; every instance learns of
   * it through a NOTIFY, this one before answering. A type declared in code is
   * `event_type_declared_in_code`; a schema ajv cannot compile is `validation_failed` with its
   * reason.
   */
  async put(name: string, dto: PutEventTypeDto): Promise<PutEventType> {
    this.checkChangeable(name);
    const schema = dto.schema ?? null;
    if (schema !== null) {
      try {
        this.catalog.compile(schema);
      } catch (error) {
        throw new NotificationsError(
          NotificationsErrorCode.ValidationFailed,
          `schema is not a JSON Schema (2020-12) that can be used: ${(error as Error).message}`,
        );
      }
    }
    const [row] = await this.dataSource.query<UpsertedRow[]>(UPSERT, [
      name,
      dto.description ?? null,
      schema === null ? null : JSON.stringify(schema),
      dto.deprecated ?? false,
    ]);
    if (!row) throw new Error('event type upsert returned no row');
    await this.catalog.reload();
    const { created, ...view } = row;
    return { eventType: { ...view, declaredIn: 'api' }, created };
  }

  /** Removes event type `name`, declared at run time; `event_type_not_found` when there is none. */
  async remove(name: string): Promise<void> {
    this.checkChangeable(name);
    const rows = await this.dataSource.query<unknown[]>(DELETE, [name]);
    if (rows.length === 0) {
      throw new NotificationsError(
        NotificationsErrorCode.EventTypeNotFound,
        `Event type ${name} not found`,
      );
    }
    await this.catalog.reload();
  }

  private checkChangeable(name: string): void {
    if (!isEventTypeName(name)) {
      throw new NotificationsError(
        NotificationsErrorCode.ValidationFailed,
        `name must be an event type name: ${EVENT_TYPE_NAME_RULE}`,
      );
    }
    if (this.catalog.get(name)?.declaredIn === 'code') {
      throw new NotificationsError(
        NotificationsErrorCode.EventTypeDeclaredInCode,
        `Event type ${name} is declared in the host's code (module option eventTypes); change it there`,
      );
    }
  }
}
