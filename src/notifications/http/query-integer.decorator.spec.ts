import { plainToInstance } from 'class-transformer';
import { QueryInteger } from './query-integer.decorator';

class Query {
  @QueryInteger()
  limit?: unknown;
}

const read = (limit: unknown) => plainToInstance(Query, { limit }).limit;

describe('QueryInteger', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['007', 7],
    ['99999999999999999999', 1e20],
  ])('reads %j as %p', (text, number) => {
    expect(read(text)).toBe(number);
  });

  it.each(['', ' 1', '1 ', '1e2', '0x10', '-1', '+1', '1.5', 'ten', '١٢'])(
    'leaves %j a string for @IsInt to refuse',
    (text) => {
      expect(read(text)).toBe(text);
    },
  );

  it('leaves a repeated parameter (an array) alone', () => {
    expect(read(['1', '2'])).toEqual(['1', '2']);
  });
});
