import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ValidateFunction } from 'ajv';
import type { DataSource } from 'typeorm';
import { ControlListener } from '../common/postgres/control-listener';
import { TopicFilter } from '../common/topics/topic-filter';
import { HERALD } from '../database/herald-names';
import { EVENT_TYPES_CHANNEL, RESOLVED_OPTIONS } from '../notifications.constants';
import { NotificationsError, NotificationsErrorCode } from '../notifications.errors';
import type { ResolvedNotificationsOptions } from '../notifications.options';
import { compileSchema, createSchemaValidator, describePayloadError } from './event-type-schema';
import type { EventTypeView, JsonSchema } from './event-type.types';

export type { EventTypeView } from './event-type.types';

interface CatalogEntry {
  view: EventTypeView;
  /** Null when the type has no schema: any object goes. */
  validate: ValidateFunction | null;
}

interface EventTypeRow {
  name: string;
  description: string | null;
  schema: JsonSchema | null;
  deprecated: boolean;
}

const SELECT_EVENT_TYPES = `SELECT name, description, schema, deprecated FROM ${HERALD.event_types}`;

/** Herald's own operational topics (`webhook.test`), accepted whatever the catalog says. */
const OPERATIONAL_PREFIX = 'webhook.';

function byName(a: EventTypeView, b: EventTypeView): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The event types this instance knows, in memory: those declared in code (module option
 * `eventTypes`) and those admins declared at run time (table `event_types`), read at start, again
 * on every NOTIFY of a change (from any instance) and every `eventTypeReloadInterval` in case one
 * was lost. A name declared in code hides a row of the same name. Publishing reads only memory:
 * without declared types a check is one Map lookup.
 */
@Injectable()
export class EventTypeCatalog implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldEventTypes');
  private readonly ajv = createSchemaValidator();
  /** Validators by the text of their schema, so a reload compiles only what changed. */
  private compiled = new Map<string, ValidateFunction>();
  private readonly code: readonly CatalogEntry[];
  private entries = new Map<string, CatalogEntry>();
  private sorted: readonly EventTypeView[] = [];
  /** Set at shutdown: notifications that arrive later read nothing. */
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private reloading?: Promise<void>;
  private reloadAgain = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
    @Inject(ControlListener) control: ControlListener,
  ) {
    this.code = options.eventTypes.map((view) => ({
      view,
      validate: view.schema ? this.compile(view.schema) : null,
    }));
    this.install([]);
    control.subscribe(EVENT_TYPES_CHANNEL, {
      notification: () => this.reloadInBackground(),
      // Changes made while disconnected were not heard. A failed read waits for the periodic one
      // rather than make the shared connection start again.
      connected: () => this.reload().catch((error: unknown) => this.warnUnread(error)),
    });
  }

  /**
   * Reads the types declared at run time before the app serves anything. Without the table (a
   * host that has not run Herald's migrations yet) it says so and tries again at each interval.
   */
  async onApplicationBootstrap(): Promise<void> {
    await this.reload().catch((error: unknown) => this.warnUnread(error));
    this.timer = setInterval(() => this.reloadInBackground(), this.options.eventTypeReloadInterval);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reloading?.catch(() => undefined);
  }

  /** Every event type, sorted by name: a snapshot, unchanged by later reloads. */
  list(): EventTypeView[] {
    return [...this.sorted];
  }

  /** The event type named `name`, if one is declared. */
  get(name: string): EventTypeView | undefined {
    return this.entries.get(name)?.view;
  }

  /**
   * Checks a publish: a payload that does not match its type's schema is `payload_invalid` naming
   * the path that failed; with `strictEventTypes`, an undeclared topic is `unknown_event_type`.
   */
  check(topic: string, payload: unknown): void {
    const entry = this.entries.get(topic);
    if (entry === undefined) {
      if (this.options.strictEventTypes && !topic.startsWith(OPERATIONAL_PREFIX)) {
        throw new NotificationsError(
          NotificationsErrorCode.UnknownEventType,
          `topic ${topic} is not a declared event type, and only declared ones may be published`,
        );
      }
      return;
    }
    if (entry.validate && !entry.validate(payload)) {
      throw new NotificationsError(
        NotificationsErrorCode.PayloadInvalid,
        `${describePayloadError(entry.validate.errors)} (event type ${topic})`,
      );
    }
  }

  /**
   * With `strictEventTypes`, refuses subscription patterns that match no declared event type
   * (`unknown_event_type`, naming the first); `*` and `order.*` pass when some type matches them.
   */
  checkPatterns(patterns: readonly string[]): void {
    if (!this.options.strictEventTypes) return;
    const unmatched = patterns.find((pattern) => {
      if (pattern.startsWith(OPERATIONAL_PREFIX)) return false;
      const filter = new TopicFilter([pattern]);
      return !this.sorted.some((type) => filter.matches(type.name));
    });
    if (unmatched !== undefined) {
      throw new NotificationsError(
        NotificationsErrorCode.UnknownEventType,
        `topic pattern ${unmatched} matches no declared event type, and only declared ones may ` +
          'be subscribed to',
      );
    }
  }

  /**
   * Reads the types declared at run time again; resolves once a read that started after this call
   * has finished, so a caller sees what it committed before calling.
   */
  reload(): Promise<void> {
    this.reloadAgain = true;
    this.reloading ??= this.reloadWhileAsked();
    return this.reloading;
  }

  private reloadInBackground(): void {
    if (this.stopped) return;
    this.reload().catch((error: unknown) => this.warnUnread(error));
  }

  private warnUnread(error: unknown): void {
    this.logger.warn(`Could not read the event types declared at run time: ${String(error)}`);
  }

  private async reloadWhileAsked(): Promise<void> {
    try {
      while (this.reloadAgain) {
        this.reloadAgain = false;
        this.install(await this.dataSource.query<EventTypeRow[]>(SELECT_EVENT_TYPES));
      }
    } finally {
      // In the same tick as the last check of reloadAgain, so no request falls in between.
      this.reloading = undefined;
    }
  }

  /** Makes the code's types and `rows` the catalog, at once. */
  private install(rows: readonly EventTypeRow[]): void {
    const previous = this.compiled;
    this.compiled = new Map();
    const entries = new Map(this.code.map((entry) => [entry.view.name, entry]));
    for (const row of rows) {
      if (entries.has(row.name)) continue;
      entries.set(row.name, {
        view: { ...row, declaredIn: 'api' },
        validate: row.schema ? this.keep(row.name, row.schema, previous) : null,
      });
    }
    this.entries = entries;
    this.sorted = [...entries.values()].map((entry) => entry.view).sort(byName);
  }

  /**
   * The validator of a stored schema: compiled before, or now. One that does not compile (the API
   * refuses such schemas, so only a hand-made row can hold one) is logged and left unchecked.
   */
  private keep(
    name: string,
    schema: JsonSchema,
    previous: Map<string, ValidateFunction>,
  ): ValidateFunction | null {
    const text = JSON.stringify(schema);
    let validate = previous.get(text) ?? this.compiled.get(text);
    if (!validate) {
      try {
        validate = this.compile(schema);
      } catch (error) {
        this.logger.error(`The schema of event type ${name} does not compile: ${String(error)}`);
        return null;
      }
    }
    this.compiled.set(text, validate);
    return validate;
  }

  /** Compiles `schema` for this catalog, or throws with ajv's reason. */
  compile(schema: JsonSchema): ValidateFunction {
    return compileSchema(this.ajv, schema);
  }
}
