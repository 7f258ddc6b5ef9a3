import { resolveNotificationsOptions } from './notifications.options';

describe('resolveNotificationsOptions: publicUrl', () => {
  it('defaults to localhost:3000 and drops a trailing slash, keeping a path', () => {
    expect(resolveNotificationsOptions({}).publicUrl).toBe('http://localhost:3000');
    expect(
      resolveNotificationsOptions({ publicUrl: 'https://h.example.com/herald/' }).publicUrl,
    ).toBe('https://h.example.com/herald');
  });

  it.each([
    ['herald.example.com', 'is not a URL'],
    ['ftp://herald.example.com', 'must be an http(s) URL'],
    ['https://herald.example.com/?a=1', 'without a query or fragment'],
    ['https://herald.example.com/#', 'without a query or fragment'],
  ])('refuses %s', (publicUrl, message) => {
    expect(() => resolveNotificationsOptions({ publicUrl })).toThrow(message);
  });
});
