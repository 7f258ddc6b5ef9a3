import { IsInt, IsString, Min } from 'class-validator';
import request from 'supertest';
import { EventPayload, EventType } from '../../src/notifications';
import { createTenant } from '../utils/create-tenant';
import { expectEventually } from '../utils/expect-eventually';
import { useTestApp } from '../utils/use-test-app';
import { saveScreenshot } from './launch-chromium';
import { type PortalPage, usePortalBrowser } from './portal-page';

jest.setTimeout(60_000);

@EventType('order.created', { description: 'An order was placed' })
class PortalOrderCreated extends EventPayload {
  @IsString()
  orderId!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

const INVOICE_PAID = {
  name: 'invoice.paid',
  description: 'An invoice was paid in full',
  schema: {
    type: 'object',
    required: ['invoiceId', 'amount'],
    properties: { invoiceId: { type: 'string' }, amount: { type: 'number', examples: [12.5] } },
  },
};

const ORDER_LEGACY = { name: 'order.legacy', description: 'Use order.created', deprecated: true };

describe('the event-type catalog in the portal, in Chromium', () => {
  const { herald } = useTestApp({
    notifications: { eventTypes: [PortalOrderCreated, INVOICE_PAID, ORDER_LEGACY] },
  });
  const admin = () => ({ Authorization: `Bearer ${herald.adminToken}` });
  const browser = usePortalBrowser(() => herald.baseUrl);

  async function signedIn(): Promise<PortalPage> {
    const tenant = await createTenant(herald);
    const opened = await browser.open();
    await opened.signIn(tenant.apiKey);
    return opened;
  }

  it('lists each declared type with its description, a deprecated badge and example data', async () => {
    const portal = await signedIn();
    const { page } = portal;
    const catalog = page.getByRole('list', { name: 'Event types' });
    // By name: order.legacy's description names order.created.
    const item = (name: string) => catalog.locator(`li[data-name="${name}"]`);

    await catalog.waitFor();
    expect(await catalog.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('invoice.paid'),
      expect.stringContaining('order.created'),
      expect.stringContaining('order.legacy'),
    ]);
    await item('order.created').getByText('An order was placed').waitFor();
    expect(await item('order.legacy').getByText('Deprecated').isVisible()).toBe(true);
    expect(await item('order.created').getByText('Deprecated').count()).toBe(0);
    await item('order.legacy').getByText('Data: any JSON object.').waitFor();

    await item('invoice.paid').getByText('Example data').click();
    const example = item('invoice.paid').locator('pre');
    await example.waitFor();
    expect(JSON.parse((await example.textContent()) ?? '')).toEqual({
      invoiceId: 'string',
      amount: 12.5,
    });
    await item('order.created').getByText('Example data').click();
    expect(JSON.parse((await item('order.created').locator('pre').textContent()) ?? '')).toEqual({
      orderId: 'string',
      quantity: 1,
    });
    await saveScreenshot(page, 'event-types');
  });

  it('offers the declared, non-deprecated types when subscribing, beside free-text patterns', async () => {
    const portal = await signedIn();
    const { page } = portal;
    const api = request(herald.baseUrl);
    // Declared at run time after the page was opened: the form reads the catalog again.
    await api
      .put('/v1/event-types/shipment.sent')
      .set(admin())
      .send({ description: 'A parcel left the warehouse' })
      .expect(201);
    try {
      await portal.button('New subscription').click();
      const choices = page.getByRole('group', { name: 'Event types' });
      await choices.getByLabel('shipment.sent').waitFor();
      expect(
        await choices
          .getByRole('checkbox')
          .evaluateAll((boxes) => boxes.map((box) => box.getAttribute('value'))),
      ).toEqual(['invoice.paid', 'order.created', 'shipment.sent']);
      await saveScreenshot(page, 'subscription-event-types');

      // Nothing ticked and nothing written: the form says so and sends nothing.
      await page.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/typed');
      await portal.button('Create').click();
      await page.getByText('Tick an event type or write a topic.').waitFor();

      await choices.getByLabel('order.created').check();
      await choices.getByLabel('shipment.sent').check();
      await page.getByLabel('Topics').fill('invoice.*');
      await portal.button('Create').click();
      const item = portal.subscription('http://127.0.0.1:9/typed');
      await item.filter({ hasText: 'Topics: order.created, shipment.sent, invoice.*' }).waitFor();

      // Editing ticks the declared topics and leaves the rest written out.
      await portal.button('Edit', item).click();
      expect(await choices.getByLabel('order.created').isChecked()).toBe(true);
      expect(await choices.getByLabel('shipment.sent').isChecked()).toBe(true);
      expect(await choices.getByLabel('invoice.paid').isChecked()).toBe(false);
      expect(await page.getByLabel('Topics').inputValue()).toBe('invoice.*');
      await choices.getByLabel('shipment.sent').uncheck();
      await choices.getByLabel('invoice.paid').check();
      await portal.button('Save').click();
      await item.filter({ hasText: 'Topics: invoice.paid, order.created, invoice.*' }).waitFor();

      const tenantKey = await page.evaluate<string>(
        "sessionStorage.getItem('herald.portal.apiKey') ?? ''",
      );
      await expectEventually(async () => {
        const list = await api
          .get('/v1/subscriptions')
          .set({ Authorization: `Bearer ${tenantKey}` })
          .expect(200);
        expect(list.body.data.map((sub: { topics: string[] }) => sub.topics)).toEqual([
          ['invoice.paid', 'order.created', 'invoice.*'],
        ]);
      });
    } finally {
      await api.delete('/v1/event-types/shipment.sent').set(admin());
    }
  });
});
