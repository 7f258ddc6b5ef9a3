import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

const VALID_TOKEN = 'an-admin-token-of-some-length';

/** Runs loadConfig expecting it to fail, and returns what it threw. */
function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

function problemsOf(env: Record<string, string | undefined>): string[] {
  return configErrorOf(env).problems;
}

describe('loadConfig', () => {
  describe('HERALD_STRICT_EVENT_TYPES', () => {
    it('reads true and false', () => {
      expect(loadConfig({ HERALD_STRICT_EVENT_TYPES: 'true' }).strictEventTypes).toBe(true);
      expect(loadConfig({ HERALD_STRICT_EVENT_TYPES: 'false' }).strictEventTypes).toBe(false);
    });

    it('refuses anything else, naming the variable', () => {
      expect(problemsOf({ HERALD_STRICT_EVENT_TYPES: 'yes' })).toEqual([
        'HERALD_STRICT_EVENT_TYPES: "yes" is not true or false',
      ]);
    });
  });

  describe('defaults', () => {
    it('uses the documented default for every variable', () => {
      const config = loadConfig({});

      expect(config).toEqual({
        port: 3000,
        publicUrl: 'http://localhost:3000',
        databaseUrl: 'postgres://postgres@127.0.0.1:5432/herald',
        redisUrl: 'redis://127.0.0.1:6379',
        adminToken: undefined,
        roles: new Set(['api', 'worker', 'sequencer']),
        retrySchedule: [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
        fastRetries: 2,
        deliveryTimeout: 15_000,
        disableAfter: 432_000_000,
        retention: 604_800_000,
        longPollMaxWait: 60_000,
        publishRateLimit: { limit: 1000, window: 1000 },
        managementRateLimit: { limit: 100, window: 1000 },
        readRateLimit: { limit: 100, window: 1000 },
        maxPageBytes: 1_048_576,
        maxHeldPollsPerTenant: 1000,
        maxSubscriptionsPerTenant: 100,
        maxInFlightPerTenant: undefined,
        allowedDestinations: [],
        sweepInterval: 30_000,
        shutdownGrace: 10_000,
        strictEventTypes: false,
        logLevel: 'info',
        encryptionKeys: [],
        dataDir: '.herald',
        otlpEndpoint: undefined,
        otlpTracesEndpoint: undefined,
        serviceName: 'herald',
      });
    });

    it('treats empty and blank values as unset', () => {
      const config = loadConfig({
        PORT: '',
        DATABASE_URL: '',
        REDIS_URL: '  ',
        HERALD_ADMIN_TOKEN: '',
        HERALD_ROLES: '',
        HERALD_RETRY_SCHEDULE: '',
        HERALD_FAST_RETRIES: '',
        HERALD_DELIVERY_TIMEOUT: '',
        HERALD_DISABLE_AFTER: '',
        HERALD_RETENTION: '',
        HERALD_LONGPOLL_MAX_WAIT: '',
        HERALD_RATE_LIMIT_PUBLISH: '',
        HERALD_RATE_LIMIT_MANAGEMENT: ' ',
        HERALD_RATE_LIMIT_READ: '',
        HERALD_MAX_PAGE_BYTES: '',
        HERALD_MAX_POLLS_PER_TENANT: '',
        HERALD_MAX_SUBSCRIPTIONS_PER_TENANT: '',
        HERALD_MAX_IN_FLIGHT_PER_TENANT: ' ',
        HERALD_ALLOWED_DESTINATIONS: '',
        HERALD_SWEEP_INTERVAL: '\t',
        HERALD_SHUTDOWN_GRACE: '',
        LOG_LEVEL: ' ',
        HERALD_ENCRYPTION_KEY: ' ',
        HERALD_DATA_DIR: '',
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ' ',
        OTEL_SERVICE_NAME: '',
      });

      expect(config).toEqual(loadConfig({}));
    });

    it('ignores variables it does not know', () => {
      expect(loadConfig({ HOME: '/root', HERALD_UNKNOWN: 'x' }).port).toBe(3000);
    });
  });

  describe('valid values', () => {
    it('reads every variable', () => {
      const config = loadConfig({
        PORT: '8080',
        HERALD_PUBLIC_URL: 'https://herald.example.com/hooks/',
        DATABASE_URL: 'postgresql://herald:secret@db.internal:6432/herald_test?sslmode=require',
        REDIS_URL: 'rediss://:pw@cache.internal:6380/2',
        HERALD_ADMIN_TOKEN: VALID_TOKEN,
        HERALD_ROLES: 'worker',
        HERALD_RETRY_SCHEDULE: '100ms,1s',
        HERALD_FAST_RETRIES: '2',
        HERALD_DELIVERY_TIMEOUT: '1s',
        HERALD_DISABLE_AFTER: '1h',
        HERALD_RETENTION: '1m',
        HERALD_LONGPOLL_MAX_WAIT: '5m',
        HERALD_RATE_LIMIT_PUBLISH: '50/10s',
        HERALD_RATE_LIMIT_MANAGEMENT: 'off',
        HERALD_RATE_LIMIT_READ: '20/1s',
        HERALD_MAX_PAGE_BYTES: '256KiB',
        HERALD_MAX_POLLS_PER_TENANT: '3',
        HERALD_MAX_SUBSCRIPTIONS_PER_TENANT: '1',
        HERALD_MAX_IN_FLIGHT_PER_TENANT: '40',
        HERALD_ALLOWED_DESTINATIONS: '127.0.0.0/8',
        HERALD_SWEEP_INTERVAL: '100ms',
        HERALD_SHUTDOWN_GRACE: '2s',
        HERALD_STRICT_EVENT_TYPES: 'true',
        LOG_LEVEL: 'debug',
        HERALD_ENCRYPTION_KEY: 'ab'.repeat(32),
        HERALD_DATA_DIR: '/var/lib/herald',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.internal:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/v1/traces',
        OTEL_SERVICE_NAME: 'herald-eu',
      });

      expect(config).toEqual({
        port: 8080,
        publicUrl: 'https://herald.example.com/hooks',
        databaseUrl: 'postgresql://herald:secret@db.internal:6432/herald_test?sslmode=require',
        redisUrl: 'rediss://:pw@cache.internal:6380/2',
        adminToken: VALID_TOKEN,
        roles: new Set(['worker']),
        retrySchedule: [100, 1000],
        fastRetries: 2,
        deliveryTimeout: 1000,
        disableAfter: 3_600_000,
        retention: 60_000,
        longPollMaxWait: 300_000,
        publishRateLimit: { limit: 50, window: 10_000 },
        managementRateLimit: false,
        readRateLimit: { limit: 20, window: 1000 },
        maxPageBytes: 262_144,
        maxHeldPollsPerTenant: 3,
        maxSubscriptionsPerTenant: 1,
        maxInFlightPerTenant: 40,
        allowedDestinations: ['127.0.0.0/8'],
        sweepInterval: 100,
        shutdownGrace: 2_000,
        strictEventTypes: true,
        logLevel: 'debug',
        encryptionKeys: [Buffer.from('ab'.repeat(32), 'hex')],
        dataDir: '/var/lib/herald',
        otlpEndpoint: 'http://collector.internal:4318',
        otlpTracesEndpoint: 'https://traces.example.com/v1/traces',
        serviceName: 'herald-eu',
      });
    });

    it('makes the public URL of the port when HERALD_PUBLIC_URL is unset', () => {
      expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    });

    it('trims surrounding whitespace from values and list entries', () => {
      const config = loadConfig({
        PORT: ' 4000\n',
        HERALD_ROLES: ' api , sequencer ',
        HERALD_RETRY_SCHEDULE: '1s, 2s',
      });

      expect(config.port).toBe(4000);
      expect(config.roles).toEqual(new Set(['api', 'sequencer']));
      expect(config.retrySchedule).toEqual([1000, 2000]);
    });

    it('keeps a repeated role once', () => {
      expect(loadConfig({ HERALD_ROLES: 'api,api' }).roles).toEqual(new Set(['api']));
    });

    it.each([
      ['no retries run in Bull', '0'],
      ['every retry runs in Bull', '3'],
    ])('accepts fast retries when %s', (_case, fastRetries) => {
      const config = loadConfig({
        HERALD_RETRY_SCHEDULE: '1s,2s,3s',
        HERALD_FAST_RETRIES: fastRetries,
      });

      expect(config.fastRetries).toBe(Number(fastRetries));
    });

    it.each([
      ['PORT', '1'],
      ['PORT', '65535'],
      ['HERALD_DELIVERY_TIMEOUT', '5m'],
      ['HERALD_LONGPOLL_MAX_WAIT', '1s'],
      ['HERALD_RETENTION', '60s'],
      ['HERALD_SWEEP_INTERVAL', '24d'],
      ['DATABASE_URL', 'postgres:///herald'],
      ['REDIS_URL', 'redis://localhost'],
    ])('accepts the boundary value %s=%s', (name, value) => {
      expect(() => loadConfig({ [name]: value })).not.toThrow();
    });
  });

  describe('the admin token', () => {
    it('leaves an unset token to be kept in HERALD_DATA_DIR', () => {
      expect(loadConfig({}).adminToken).toBeUndefined();
    });

    it('uses the given token, trimmed', () => {
      const config = loadConfig({ HERALD_ADMIN_TOKEN: ` ${VALID_TOKEN}\n` });

      expect(config.adminToken).toBe(VALID_TOKEN);
    });

    it('accepts exactly 16 characters', () => {
      expect(loadConfig({ HERALD_ADMIN_TOKEN: 'x'.repeat(16) }).adminToken).toBe('x'.repeat(16));
    });

    it.each(['short-secret', 'has a space inside it', 'tøken-with-non-ascii'])(
      'rejects %j without repeating it in the message',
      (token) => {
        const problems = problemsOf({ HERALD_ADMIN_TOKEN: token });

        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^HERALD_ADMIN_TOKEN: /);
        expect(problems[0]).not.toContain(token);
      },
    );
  });

  describe('allowed destinations', () => {
    it.each([
      ['127.0.0.0/8', ['127.0.0.0/8']],
      ['127.0.0.1/8', ['127.0.0.0/8']],
      ['10.1.2.3/32', ['10.1.2.3/32']],
      ['0.0.0.0/0', ['0.0.0.0/0']],
      ['::1/128', ['::1/128']],
      ['2001:DB8:0:0::1/32', ['2001:db8::/32']],
      ['fd00:0:0:0:0:0:0:1/8', ['fd00::/8']],
      ['127.0.0.0/8, ::1/128', ['127.0.0.0/8', '::1/128']],
    ])('normalises %j to %j', (text, expected) => {
      expect(loadConfig({ HERALD_ALLOWED_DESTINATIONS: text }).allowedDestinations).toEqual(
        expected,
      );
    });

    it.each([
      ['127.0.0.1', /"127\.0\.0\.1" is not a CIDR/],
      ['127.0.0.0/33', /"127\.0\.0\.0\/33" is not a CIDR/],
      ['::1/129', /"::1\/129" is not a CIDR/],
      ['10/8', /"10\/8" is not a CIDR/],
      ['0x7f.0.0.1/8', /"0x7f\.0\.0\.1\/8" is not a CIDR/],
      ['localhost/8', /"localhost\/8" is not a CIDR/],
      ['fe80::1%eth0/64', /zone index/],
      ['127.0.0.0/8,,::1/128', /has an empty entry/],
    ])('rejects %j', (text, expected) => {
      const problems = problemsOf({ HERALD_ALLOWED_DESTINATIONS: text });

      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^HERALD_ALLOWED_DESTINATIONS: /);
      expect(problems[0]).toMatch(expected);
    });

    it('reports every bad entry of the list', () => {
      const [problem] = problemsOf({ HERALD_ALLOWED_DESTINATIONS: 'a/1,127.0.0.0/8,b/2' });

      expect(problem).toContain('"a/1"');
      expect(problem).toContain('"b/2"');
      expect(problem).not.toContain('127.0.0.0/8');
    });
  });

  describe('invalid values', () => {
    it.each([
      ['PORT', 'http', '"http" is not a whole number'],
      ['PORT', '0', '"0" must be between 1 and 65535'],
      ['PORT', '65536', '"65536" must be between 1 and 65535'],
      ['PORT', '80.5', '"80.5" is not a whole number'],
      ['PORT', '-1', '"-1" is not a whole number'],
      ['HERALD_PUBLIC_URL', 'herald.example.com', 'is not a URL'],
      ['HERALD_PUBLIC_URL', 'ftp://herald.example.com', 'must start with http:// or https://'],
      ['HERALD_PUBLIC_URL', 'https://herald.example.com/?a=1', 'must have no query or fragment'],
      ['HERALD_PUBLIC_URL', 'https://herald.example.com/#x', 'must have no query or fragment'],
      ['DATABASE_URL', 'not a url', 'is not a URL'],
      [
        'DATABASE_URL',
        'mysql://root@127.0.0.1/herald',
        'must start with postgres:// or postgresql://',
      ],
      ['DATABASE_URL', 'postgres://postgres@127.0.0.1:5432', 'must name one database'],
      ['DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/', 'must name one database'],
      ['DATABASE_URL', 'postgres://127.0.0.1/a/b', 'must name one database'],
      ['REDIS_URL', 'localhost:6379', 'must start with redis:// or rediss://, not localhost:'],
      ['REDIS_URL', '127.0.0.1:6379', 'is not a URL'],
      ['REDIS_URL', 'http://127.0.0.1:6379', 'must start with redis:// or rediss://'],
      ['REDIS_URL', 'redis', 'is not a URL'],
      ['OTEL_EXPORTER_OTLP_ENDPOINT', 'localhost:4318', 'must start with http:// or https://'],
      ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'collector', 'is not a URL'],
      ['HERALD_ROLES', 'api,web', '"web" is not a role (use api, worker, sequencer)'],
      ['HERALD_ROLES', 'API', '"API" is not a role'],
      ['HERALD_ROLES', 'api,,worker', '"api,,worker" has an empty entry'],
      ['HERALD_ROLES', ',', '"," has an empty entry'],
      ['HERALD_RETRY_SCHEDULE', '5x', '"5x" is not a duration (write 500ms, 5s, 5m, 2h or 5d)'],
      ['HERALD_RETRY_SCHEDULE', '5s,,5m', 'has an empty entry'],
      ['HERALD_RETRY_SCHEDULE', '5s,5', '"5" is not a duration'],
      ['HERALD_FAST_RETRIES', 'two', '"two" is not a whole number'],
      ['HERALD_FAST_RETRIES', '-1', '"-1" is not a whole number'],
      ['HERALD_FAST_RETRIES', '8', '8 is more than the 7 retries in HERALD_RETRY_SCHEDULE'],
      ['HERALD_DELIVERY_TIMEOUT', '15', '"15" is not a duration'],
      ['HERALD_DELIVERY_TIMEOUT', '999ms', '"999ms" must be between 1s and 5m'],
      ['HERALD_DELIVERY_TIMEOUT', '301s', '"301s" must be between 1s and 5m'],
      ['HERALD_DISABLE_AFTER', '5 days', '"5 days" is not a duration'],
      ['HERALD_DISABLE_AFTER', '0s', '"0s" must be at least 1s'],
      ['HERALD_RETENTION', '59s', '"59s" must be at least 1m'],
      ['HERALD_RETENTION', '7days', '"7days" is not a duration'],
      ['HERALD_LONGPOLL_MAX_WAIT', '0s', '"0s" must be between 1s and 5m'],
      ['HERALD_LONGPOLL_MAX_WAIT', '6m', '"6m" must be between 1s and 5m'],
      ['HERALD_RATE_LIMIT_PUBLISH', '1000', '"1000" is not a rate (write requests/window'],
      ['HERALD_RATE_LIMIT_PUBLISH', '0/1s', '"0/1s" must allow at least 1 request per window'],
      ['HERALD_RATE_LIMIT_MANAGEMENT', '100/1x', '"1x" is not a duration'],
      ['HERALD_RATE_LIMIT_MANAGEMENT', '100/2d', 'must have a window between 100ms and 1d'],
      ['HERALD_RATE_LIMIT_READ', '50', '"50" is not a rate (write requests/window'],
      ['HERALD_MAX_PAGE_BYTES', '1MB', '"1MB" is not a size'],
      ['HERALD_MAX_PAGE_BYTES', '512', '"512" must be between 1KiB and 64MiB'],
      ['HERALD_MAX_PAGE_BYTES', '65MiB', '"65MiB" must be between 1KiB and 64MiB'],
      ['HERALD_MAX_POLLS_PER_TENANT', 'many', '"many" is not a whole number'],
      ['HERALD_MAX_POLLS_PER_TENANT', '0', '"0" must be at least 1'],
      ['HERALD_MAX_SUBSCRIPTIONS_PER_TENANT', '-5', '"-5" is not a whole number'],
      ['HERALD_MAX_SUBSCRIPTIONS_PER_TENANT', '0', '"0" must be at least 1'],
      ['HERALD_MAX_IN_FLIGHT_PER_TENANT', '0', '"0" must be at least 1'],
      ['HERALD_MAX_IN_FLIGHT_PER_TENANT', '2.5', '"2.5" is not a whole number'],
      ['HERALD_ALLOWED_DESTINATIONS', 'private', '"private" is not a CIDR'],
      ['HERALD_SWEEP_INTERVAL', '99ms', '"99ms" must be between 100ms and 24d'],
      ['HERALD_SHUTDOWN_GRACE', '11m', '"11m" must be between 0s and 10m'],
      ['HERALD_SWEEP_INTERVAL', '25d', '"25d" must be between 100ms and 24d'],
      ['HERALD_SWEEP_INTERVAL', '1.5s', '"1.5s" is not a duration'],
      [
        'LOG_LEVEL',
        'verbose',
        '"verbose" is not a log level (use fatal, error, warn, info, debug, trace, silent)',
      ],
      ['LOG_LEVEL', 'INFO', '"INFO" is not a log level'],
    ])('reports %s=%j', (name, value, expected) => {
      const problems = problemsOf({ [name]: value });

      expect(problems).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
      expect(problems[0]).toContain(expected);
    });

    it('names the variable in the thrown message', () => {
      expect(() => loadConfig({ HERALD_RETRY_SCHEDULE: '5x' })).toThrow(
        new ConfigError([
          'HERALD_RETRY_SCHEDULE: "5x" is not a duration (write 500ms, 5s, 5m, 2h or 5d)',
        ]),
      );
      expect(() => loadConfig({ HERALD_RETRY_SCHEDULE: '5x' })).toThrow(
        'Invalid configuration:\n' +
          '  HERALD_RETRY_SCHEDULE: "5x" is not a duration (write 500ms, 5s, 5m, 2h or 5d)',
      );
    });

    it('reports every invalid variable at once', () => {
      const { problems, message, name } = configErrorOf({
        PORT: 'eighty',
        HERALD_ADMIN_TOKEN: 'short',
        HERALD_ROLES: 'web',
        HERALD_RETRY_SCHEDULE: '5x,10y',
        HERALD_RETENTION: '1s',
        HERALD_SWEEP_INTERVAL: '1ms',
      });

      expect(name).toBe('ConfigError');
      expect(problems.map((problem) => problem.split(':')[0])).toEqual([
        'PORT',
        'HERALD_ROLES',
        'HERALD_RETRY_SCHEDULE',
        'HERALD_RETENTION',
        'HERALD_SWEEP_INTERVAL',
        'HERALD_ADMIN_TOKEN',
      ]);
      expect(problems[2]).toBe(
        'HERALD_RETRY_SCHEDULE: "5x" is not a duration (write 500ms, 5s, 5m, 2h or 5d); ' +
          '"10y" is not a duration (write 500ms, 5s, 5m, 2h or 5d)',
      );
      expect(message.split('\n')).toEqual([
        'Invalid configuration:',
        ...problems.map((problem) => `  ${problem}`),
      ]);
    });

    it('checks fast retries against the given schedule', () => {
      expect(problemsOf({ HERALD_RETRY_SCHEDULE: '1s', HERALD_FAST_RETRIES: '2' })).toEqual([
        'HERALD_FAST_RETRIES: 2 is more than the 1 retries in HERALD_RETRY_SCHEDULE',
      ]);
    });

    it('does not blame fast retries for a schedule that is itself invalid', () => {
      expect(problemsOf({ HERALD_RETRY_SCHEDULE: '1s,5x', HERALD_FAST_RETRIES: '2' })).toEqual([
        expect.stringMatching(/^HERALD_RETRY_SCHEDULE: /),
      ]);
    });

    it('does not blame a short schedule for fast retries that are themselves invalid', () => {
      expect(problemsOf({ HERALD_RETRY_SCHEDULE: '1s', HERALD_FAST_RETRIES: 'x' })).toEqual([
        expect.stringMatching(/^HERALD_FAST_RETRIES: /),
      ]);
    });

    it('masks the password of a URL without a database name', () => {
      const [problem] = problemsOf({ DATABASE_URL: 'postgres://root:hunter2@db.internal' });

      expect(problem).toContain('"postgres://root:***@db.internal"');
      expect(problem).not.toContain('hunter2');
    });

    it.each([
      ['DATABASE_URL', 'mysql://root:hunter2@db.internal/herald'],
      ['DATABASE_URL', 'hunter2'],
      ['REDIS_URL', 'user:hunter2 at cache'],
      ['REDIS_URL', 'redis//:hunter2@cache'],
    ])('does not echo a rejected %s that may hold a password', (name, value) => {
      const [problem] = problemsOf({ [name]: value });

      expect(problem).not.toContain('hunter2');
    });
  });
});

describe('HERALD_ENCRYPTION_KEY', () => {
  it('takes 32 bytes as hex or base64', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadConfig({ HERALD_ENCRYPTION_KEY: key.toString('hex') }).encryptionKeys).toEqual([
      key,
    ]);
    expect(loadConfig({ HERALD_ENCRYPTION_KEY: key.toString('base64') }).encryptionKeys).toEqual([
      key,
    ]);
  });

  it('takes a comma-separated list, the sealing key first', () => {
    const first = Buffer.alloc(32, 1);
    const second = Buffer.alloc(32, 2);

    const config = loadConfig({
      HERALD_ENCRYPTION_KEY: `${first.toString('base64')}, ${second.toString('hex')}`,
    });

    expect(config.encryptionKeys).toEqual([first, second]);
  });

  it('leaves an unset key to be kept in HERALD_DATA_DIR', () => {
    expect(loadConfig({}).encryptionKeys).toEqual([]);
  });

  it('is required in production, saying how to make one', () => {
    const [problem] = problemsOf({ NODE_ENV: 'production' });

    expect(problem).toMatch(/^HERALD_ENCRYPTION_KEY: is required when NODE_ENV=production/);
    expect(problem).toContain('openssl rand -base64 32');
    expect(() =>
      loadConfig({ NODE_ENV: 'production', HERALD_ENCRYPTION_KEY: 'ab'.repeat(32) }),
    ).not.toThrow();
  });

  it.each([
    'short',
    Buffer.alloc(16).toString('hex'),
    Buffer.alloc(31).toString('base64'),
    'z'.repeat(64),
    `${'ab'.repeat(32)},`,
    `${'ab'.repeat(32)},short`,
  ])('refuses %s, naming the variable without repeating the value', (value) => {
    const [problem] = problemsOf({ HERALD_ENCRYPTION_KEY: value });

    expect(problem).toMatch(/^HERALD_ENCRYPTION_KEY: must be 32 bytes/);
    expect(problem).not.toContain(value);
  });
});
