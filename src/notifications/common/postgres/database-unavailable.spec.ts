import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isUnstorableText, sqlStateOf } from './database-unavailable';

function pgError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a backend terminated by an administrator', pgError('terminating connection', '57P01')],
    ['a server starting up', pgError('the database system is starting up', '57P03')],
    ['a connection failure', pgError('connection failure', '08006')],
    ['too many connections', pgError('sorry, too many clients already', '53300')],
    ['a connection lost mid-query', pgError('Connection terminated unexpectedly')],
    ['an exhausted pool', pgError('timeout exceeded when trying to connect')],
    ['a refused connection', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    [
      "TypeORM's wrapper around one",
      new QueryFailedError('SELECT 1', [], pgError('terminating connection', '57P01')),
    ],
  ])('is true for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', pgError('duplicate key value', '23505')],
    ['a syntax error', new QueryFailedError('SELEC 1', [], pgError('syntax error', '42601'))],
    ['a plain error', new Error('boom')],
    ['something thrown that is no error', 'Connection terminated'],
    ['nothing', undefined],
  ])('is false for %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isUnstorableText', () => {
  it('is true for a NUL byte in text and a \\u0000 escape in jsonb, wrapped or not', () => {
    expect(
      isUnstorableText(pgError('invalid byte sequence for encoding "UTF8": 0x00', '22021')),
    ).toBe(true);
    expect(
      isUnstorableText(
        new QueryFailedError('INSERT', [], pgError('unsupported Unicode escape', '22P05')),
      ),
    ).toBe(true);
  });

  it('is false for anything else', () => {
    expect(isUnstorableText(pgError('duplicate key value', '23505'))).toBe(false);
    expect(isUnstorableText(undefined)).toBe(false);
  });
});

describe('sqlStateOf', () => {
  it.each([
    ["pg's error", pgError('duplicate key value', '23505'), '23505'],
    ["TypeORM's wrapper", new QueryFailedError('INSERT', [], pgError('fk', '23503')), '23503'],
    ['a plain error', new Error('boom'), undefined],
    ['a non-string code', Object.assign(new Error('odd'), { code: 42 }), undefined],
    ['something thrown that is no error', '23505', undefined],
  ])('reads %s', (_, error, state) => {
    expect(sqlStateOf(error)).toBe(state);
  });
});
