import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { HeraldMetrics } from '../../metrics/herald-metrics';
import { RESOLVED_OPTIONS } from '../../notifications.constants';
import type { ResolvedNotificationsOptions } from '../../notifications.options';
import { currentSlot, previousSlot } from '../secrets/open-secrets';
import { SecretBox, SigningSecretError, type SecretColumn } from '../secrets/secret-box';
import { HERALD } from '../../database/herald-names';

const PAGE = 500;

/** The sealed columns of one subscription, as the pass reads them. */
interface SealedRow {
  id: string;
  secret: Buffer;
  previous_secret: Buffer | null;
}

/** What one pass over every subscription found. */
export interface ResealReport {
  /** Secrets moved from an older key or the old format to the first key and the current format. */
  resealed: number;
  /**
   * Secrets still under an older key or in the old format (changed by someone else during the
   * pass; the next pass retries).
   */
  underOldKeys: number;
  /** Secrets that no configured key opens. */
  unopenable: number;
}

/**
 * Keeps signing secrets sealed under the first encryption key, in the current format (bound to
 * their subscription and column): at start and every `resealInterval`, it reads every
 * subscription's secrets and seals again those an older key opened or the old format held. Its
 * gauges tell an operator when an old key can be removed (none left under it) and when a key is
 * missing (secrets that nothing opens). Every process with keys runs it; a secret
 * changed meanwhile (a rotation) is left as it is, since each write is conditional on the value read.
 */
@Injectable()
export class SecretResealer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('HeraldSecrets');
  private readonly underOldKeys: Gauge;
  private readonly unopenable: Gauge;
  private timer?: NodeJS.Timeout;
  private running?: Promise<ResealReport | undefined>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SecretBox) private readonly box: SecretBox,
    @Inject(HeraldMetrics) metrics: HeraldMetrics,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedNotificationsOptions,
  ) {
    const registers = [metrics.registry];
    this.underOldKeys = new Gauge({
      name: 'herald_signing_secrets_under_old_keys',
      help:
        'Signing secrets sealed under an encryption key other than the first, or in the old ' +
        'format, at the last pass',
      registers,
    });
    this.unopenable = new Gauge({
      name: 'herald_signing_secrets_unopenable',
      help: 'Signing secrets that no configured encryption key opens, at the last pass',
      registers,
    });
  }

  onApplicationBootstrap(): void {
    if (this.options.encryptionKeys.length === 0) return;
    void this.resealOnce();
    this.timer = setInterval(() => void this.resealOnce(), this.options.resealInterval);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass over every subscription; overlapping calls share it. Undefined when it failed. */
  resealOnce(): Promise<ResealReport | undefined> {
    this.running ??= this.pass()
      .catch((error: unknown) => {
        this.logger.warn(`Re-sealing signing secrets failed: ${String(error)}`);
        return undefined;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<ResealReport> {
    const report: ResealReport = { resealed: 0, underOldKeys: 0, unopenable: 0 };
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      // An expired previous secret signs nothing, so it is neither opened nor counted.
      const rows = await this.dataSource.query<SealedRow[]>(
        `SELECT id, secret,
           CASE WHEN previous_secret_expires_at > now() THEN previous_secret END AS previous_secret
         FROM ${HERALD.subscriptions} WHERE id > $1 ORDER BY id LIMIT $2`,
        [after, PAGE],
      );
      for (const row of rows) {
        await this.resealColumn(row.id, 'secret', row.secret, report);
        if (row.previous_secret)
          await this.resealColumn(row.id, 'previous_secret', row.previous_secret, report);
      }
      const last = rows.at(-1);
      if (!last || rows.length < PAGE) break;
      after = last.id;
    }
    this.underOldKeys.set(report.underOldKeys);
    this.unopenable.set(report.unopenable);
    if (report.resealed > 0)
      this.logger.log(`Sealed ${report.resealed} signing secrets again under the first key`);
    if (report.unopenable > 0)
      this.logger.error(
        `${report.unopenable} signing secrets cannot be opened with the configured keys ` +
          `(${this.options.encryptionKeySource}); a subscription whose current secret is one of them ` +
          'fails its deliveries until the key is restored or its secret is rotated',
      );
    return report;
  }

  private async resealColumn(
    id: string,
    column: SecretColumn,
    sealed: Buffer,
    report: ResealReport,
  ): Promise<void> {
    const fresh = this.resealed(id, column, sealed);
    if (fresh === undefined) {
      report.unopenable += 1;
      return;
    }
    if (fresh === null) return;
    // TypeORM answers an UPDATE with [rows, affected count].
    const [, changed] = await this.dataSource.query<[unknown[], number]>(
      `UPDATE ${HERALD.subscriptions} SET ${column} = $3 WHERE id = $1 AND ${column} = $2`,
      [id, sealed, fresh],
    );
    if (changed === 1) report.resealed += 1;
    else report.underOldKeys += 1;
  }

  /**
   * The value sealed again, null when it is current, undefined when no key opens it. A previous
   * secret may still be sealed as the current one, moved there by a rotation that could not open
   * it; it is sealed again for its own column.
   */
  private resealed(id: string, column: SecretColumn, sealed: Buffer): Buffer | null | undefined {
    const slot = column === 'secret' ? currentSlot(id) : previousSlot(id);
    const sealedFor = column === 'secret' ? [slot] : [slot, currentSlot(id)];
    for (const from of sealedFor) {
      try {
        return this.box.reseal(sealed, slot, from);
      } catch (error) {
        if (!(error instanceof SigningSecretError)) throw error;
      }
    }
    return undefined;
  }
}
