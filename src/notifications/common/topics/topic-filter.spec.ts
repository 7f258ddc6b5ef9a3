import { TopicFilter } from './topic-filter';

describe('TopicFilter', () => {
  describe('with no patterns', () => {
    const filter = new TopicFilter([]);

    it('lets every topic through', () => {
      expect(filter.all).toBe(true);
      expect(filter.matches('order')).toBe(true);
      expect(filter.matches('invoice.paid.late')).toBe(true);
    });

    it('keeps no exact topics or prefixes', () => {
      expect(filter.exact).toEqual([]);
      expect(filter.prefixes).toEqual([]);
    });
  });

  describe('with `*` among other patterns', () => {
    const filter = new TopicFilter(['order.*', '*', 'invoice.paid']);

    it('lets every topic through', () => {
      expect(filter.all).toBe(true);
      expect(filter.matches('user.created')).toBe(true);
      expect(filter.matches('order')).toBe(true);
    });

    it('keeps no exact topics or prefixes', () => {
      expect(filter.exact).toEqual([]);
      expect(filter.prefixes).toEqual([]);
    });
  });

  describe('with exact topics and prefixes', () => {
    const filter = new TopicFilter(['order.*', 'invoice.paid', 'user.eu.*']);

    it('splits the patterns into exact topics and prefixes with their trailing dot', () => {
      expect(filter.all).toBe(false);
      expect(filter.exact).toEqual(['invoice.paid']);
      expect(filter.prefixes).toEqual(['order.', 'user.eu.']);
    });

    it.each([
      'invoice.paid',
      'order.shipped',
      'order.eu.shipped',
      'order.a.b.c',
      'user.eu.created',
    ])('matches %j', (topic) => {
      expect(filter.matches(topic)).toBe(true);
    });

    it.each([
      ['the prefix word alone', 'order'],
      ['a longer first word', 'orders.shipped'],
      ['the prefix inside another topic', 'eu.order.shipped'],
      ['a sibling of an exact topic', 'invoice.sent'],
      ['a child of an exact topic', 'invoice.paid.late'],
      ['the parent of an exact topic', 'invoice'],
      ['the parent of a deeper prefix', 'user.created'],
      ['a similar deeper prefix', 'user.eux.created'],
    ])('does not match %s (%j)', (_, topic) => {
      expect(filter.matches(topic)).toBe(false);
    });
  });

  it('matches only the exact topic when given one', () => {
    const filter = new TopicFilter(['order']);

    expect(filter.matches('order')).toBe(true);
    expect(filter.matches('order.shipped')).toBe(false);
    expect(filter.matches('orders')).toBe(false);
  });
});
