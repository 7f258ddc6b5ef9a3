import { parseByteSize } from './byte-size';

describe('parseByteSize', () => {
  it.each([
    ['1048576', 1_048_576],
    ['0', 0],
    ['512KiB', 524_288],
    ['1MiB', 1_048_576],
    ['0064KiB', 65_536],
  ])('reads %s', (text, expected) => {
    expect(parseByteSize(text)).toBe(expected);
  });

  it.each([
    ['', 'is not a size'],
    ['1 MiB', 'is not a size'],
    ['1MB', 'is not a size'],
    ['1mib', 'is not a size'],
    ['1.5MiB', 'is not a size'],
    ['-1', 'is not a size'],
    ['99999999999999999999MiB', 'is too large'],
  ])('refuses %j', (text, message) => {
    expect(() => parseByteSize(text)).toThrow(message);
  });
});
