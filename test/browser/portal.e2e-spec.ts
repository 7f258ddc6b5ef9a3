import request from 'supertest';
import { createSubscription } from '../utils/create-subscription';
import { createTenant } from '../utils/create-tenant';
import { expectEventually } from '../utils/expect-eventually';
import { publishAndSequence } from '../utils/publish-event';
import { createTestDatabase, type TestDatabase } from '../utils/test-database';
import { startTestApp, type TestApp } from '../utils/test-app';
import { TestClock } from '../utils/test-clock';
import { useTestApp } from '../utils/use-test-app';
import { useReceivers } from '../utils/use-receivers';
import { saveScreenshot } from './launch-chromium';
import { type PortalPage, usePortalBrowser } from './portal-page';

jest.setTimeout(90_000);

describe('consumer portal, in Chromium', () => {
  let db: TestDatabase;
  let herald: TestApp;
  const browser = usePortalBrowser(() => herald.baseUrl);
  const startReceiver = useReceivers();

  beforeAll(async () => {
    db = await createTestDatabase();
    herald = await startTestApp({
      databaseUrl: db.url,
      env: {
        // Two attempts, so a failing receiver fails a delivery within a second.
        HERALD_RETRY_SCHEDULE: '100ms',
        HERALD_FAST_RETRIES: '1',
        HERALD_SWEEP_INTERVAL: '200ms',
        HERALD_DELIVERY_TIMEOUT: '2s',
      },
    });
  });

  afterAll(async () => {
    await herald?.close();
    await db?.drop();
  });

  /** A fresh browser profile (nothing in session storage) and its page. */
  function openPortal(viewport?: { width: number; height: number }): Promise<PortalPage> {
    return browser.open(viewport);
  }

  it('serves its files with a strict content security policy, and nothing else', async () => {
    const api = request(herald.baseUrl);
    const page = await api
      .get('/portal')
      .expect(200)
      .expect('content-type', /text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('src="/portal/portal.js"');
    await api
      .get('/portal/')
      .expect(200)
      .expect('content-type', /text\/html/);
    await api
      .get('/portal/portal.js')
      .expect(200)
      .expect('content-type', /javascript/);
    await api
      .get('/portal/portal.css')
      .expect(200)
      .expect('content-type', /text\/css/);
    await api.get('/portal/../package.json').expect(404);
    await api.get('/portal/portal-assets.ts').expect(404);
    await api.post('/portal').expect(404);
  });

  it('signs in, subscribes, shows deliveries and attempts, and retries a failed one', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    receiver.answer = () => ({ status: 200, body: 'thanks' });
    const portal = await openPortal();
    const { page } = portal;

    await portal.open();
    await saveScreenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('hk_not-a-real-key');
    await portal.button('Sign in').click();
    await page.getByText('That API key was not accepted.').waitFor();

    await portal.signIn(tenant.apiKey);
    await page.getByText('No subscriptions yet.').waitFor();
    await portal.liveConnected();

    await portal.button('New subscription').click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Topics').fill('order.*');
    await page.getByLabel('Description').fill('Order sync');
    await page.getByLabel('Headers').fill('x-api-key: k1\n\nx-route:  eu west ');
    await page.getByLabel('Registration id').fill('portal.order-sync');
    await portal.button('Create').click();
    await page.getByRole('heading', { name: 'Order sync' }).waitFor();
    await portal.subscription(receiver.url).waitFor();
    // The secret is shown once the new subscription's deliveries are read, after its heading.
    const shownSecret = page.locator('#secret-current', { hasText: /^whsec_/ });
    await shownSecret.waitFor();
    const secret = (await shownSecret.textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);

    // A delivery that succeeds at once, with its attempt.
    const created = await publishAndSequence(herald, tenant, 'order.created', { orderId: 1 });
    await portal.delivery(created.id, 'succeeded').waitFor();
    const firstAttempt = portal.attempts(created.id).first();
    await firstAttempt.filter({ hasText: '200' }).filter({ hasText: 'thanks' }).waitFor();
    expect(await firstAttempt.locator('td[data-label="Duration"]').textContent()).toMatch(/ ms$/);
    expect(receiver.received[0].headers).toMatchObject({
      'x-api-key': 'k1',
      'x-route': 'eu west',
      'herald-subscription-uid': 'portal.order-sync',
    });
    await page.getByText('uid portal.order-sync').waitFor();
    await portal.liveEvent('order.created').waitFor();
    await saveScreenshot(page, 'subscriptions');

    // The receiver fails: both attempts are shown, and the delivery ends failed.
    receiver.answer = () => ({ status: 500, body: 'database is down' });
    const shipped = await publishAndSequence(herald, tenant, 'order.shipped', { orderId: 1 });
    await portal.delivery(shipped.id, 'failed').waitFor();
    await expectEventually(async () => expect(await portal.attempts(shipped.id).count()).toBe(2));
    for (const row of await portal.attempts(shipped.id).all()) {
      expect(await row.textContent()).toContain('500');
      expect(await row.textContent()).toContain('database is down');
    }

    // The status filter shows only failed deliveries.
    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await portal.delivery(created.id).waitFor({ state: 'detached' });
    await portal.delivery(shipped.id, 'failed').waitFor();
    await saveScreenshot(page, 'deliveries');
    await page.getByLabel('Status', { exact: true }).selectOption('');

    // The receiver is back: Retry on the page delivers it.
    receiver.answer = () => ({ status: 204 });
    await portal.button('Retry', portal.delivery(shipped.id)).click();
    await portal.delivery(shipped.id, 'succeeded').waitFor();
    await expectEventually(async () => expect(await portal.attempts(shipped.id).count()).toBe(3));
    expect(await portal.attempts(shipped.id).last().textContent()).toContain('204');
    await saveScreenshot(page, 'retried');

    const shippedHooks = receiver.received.filter(
      (hook) => hook.headers['webhook-id'] === shipped.id,
    );
    expect(shippedHooks.map((hook) => hook.headers['webhook-id'])).toEqual([
      shipped.id,
      shipped.id,
      shipped.id,
    ]);
  });

  it('edits, disables, tests, reveals and rotates the secret of, and deletes a subscription', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    const sub = await createSubscription(herald, tenant, receiver.url, ['order.*']);
    const api = request(herald.baseUrl);
    const portal = await openPortal();
    const { page } = portal;
    await portal.signIn(tenant.apiKey);
    const item = portal.subscription(receiver.url);

    await portal.button('Edit', item).click();
    expect(await page.getByLabel('Topics').inputValue()).toBe('order.*');
    await page.getByLabel('Topics').fill('invoice.*, order.created');
    await page.getByLabel('Description').fill('Billing');
    // A uid is given on create only; headers can be changed.
    expect(await page.getByLabel('Registration id').isVisible()).toBe(false);
    await page.getByLabel('Headers').fill('x-route: eu');
    expect(await page.getByLabel('Rate limit').inputValue()).toBe('');
    await page.getByLabel('Rate limit').fill('20');
    await portal.button('Save').click();
    await item.filter({ hasText: 'Topics: invoice.*, order.created' }).waitFor();
    await item.filter({ hasText: 'At most 20 deliveries a second' }).waitFor();
    const edited = await api.get(`/v1/subscriptions/${sub.id}`).set(tenant.auth).expect(200);
    expect(edited.body).toMatchObject({
      topics: ['invoice.*', 'order.created'],
      description: 'Billing',
      headers: { 'x-route': 'eu' },
      rateLimit: 20,
      enabled: true,
    });
    await portal.button('Edit', item).click();
    expect(await page.getByLabel('Headers').inputValue()).toBe('x-route: eu');
    // Emptied, the limit is removed.
    expect(await page.getByLabel('Rate limit').inputValue()).toBe('20');
    await page.getByLabel('Rate limit').fill('');
    await portal.button('Save').click();
    await expectEventually(async () => {
      const read = await api.get(`/v1/subscriptions/${sub.id}`).set(tenant.auth).expect(200);
      expect(read.body.rateLimit).toBeNull();
    });

    await portal.button('Disable', item).click();
    await item.filter({ hasText: 'Disabled' }).waitFor();
    await expectEventually(async () => {
      const read = await api.get(`/v1/subscriptions/${sub.id}`).set(tenant.auth).expect(200);
      expect(read.body.enabled).toBe(false);
    });
    await portal.button('Enable', item).click();
    await portal.button('Disable', item).waitFor();

    await portal.button('Deliveries', item).click();
    await page.getByRole('heading', { name: 'Billing' }).waitFor();
    await portal.button('Send test event').click();
    await page.locator('#delivery-list > li.delivery.succeeded').waitFor();
    await expectEventually(() => expect(receiver.received).toHaveLength(1));
    expect(JSON.parse(receiver.received[0].body)).toMatchObject({ type: 'webhook.test' });

    await portal.button('Reveal secret').click();
    await page.locator('#secret-current').filter({ hasText: sub.secret }).waitFor();
    await portal.button('Rotate secret').click();
    await page.locator('#secret-previous').filter({ hasText: sub.secret }).waitFor();
    const rotated = (await page.locator('#secret-current').textContent()) ?? '';
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(sub.secret);
    const secrets = await api
      .get(`/v1/subscriptions/${sub.id}/secret`)
      .set(tenant.auth)
      .expect(200);
    expect(secrets.body).toMatchObject({ secret: rotated, previousSecret: sub.secret });
    await saveScreenshot(page, 'subscription-secret');
    await portal.button('Hide secret').click();
    await page.locator('#secret-box').waitFor({ state: 'hidden' });

    page.once('dialog', (dialog) => void dialog.accept());
    await portal.button('Delete', item).click();
    await item.waitFor({ state: 'detached' });
    await page.getByText('No subscriptions yet.').waitFor();
    await api.get(`/v1/subscriptions/${sub.id}`).set(tenant.auth).expect(404);
  });

  it('works by keyboard at phone width, and shows published events live', async () => {
    const tenant = await createTenant(herald);
    const receiver = await startReceiver();
    receiver.answer = () => ({ status: 503, body: 'maintenance' });
    const portal = await openPortal({ width: 390, height: 844 });
    const { page } = portal;
    await portal.open();

    // The key field has the focus on arrival; Enter signs in.
    await page.keyboard.type(tenant.apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
    await portal.liveConnected();

    await page.keyboard.press('Tab');
    expect(await page.locator(':focus').textContent()).toBe('New subscription');
    await page.keyboard.press('Enter');
    await page.keyboard.type(receiver.url);
    await page.keyboard.press('Tab');
    await page.keyboard.type('*');
    await page.keyboard.press('Enter');
    await portal.subscription(receiver.url).waitFor();

    const event = await publishAndSequence(herald, tenant, 'invoice.paid', { amount: 42 });
    await portal.liveEvent('invoice.paid').filter({ hasText: '"amount":42' }).waitFor();
    await portal.delivery(event.id, 'failed').waitFor();
    await portal.attempts(event.id).filter({ hasText: 'maintenance' }).first().waitFor();

    // Nothing is wider than the screen.
    const overflow = await page.evaluate<number>(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await saveScreenshot(page, 'phone');
    await page.locator('#live').scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'live-events');

    // Signing out forgets the key: a reload shows the sign-in form again.
    await portal.button('Sign out').click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('API key').waitFor();
    expect(page.url()).not.toContain(tenant.apiKey);
  });
});

describe('portal links, in Chromium', () => {
  const clock = new TestClock();
  const { herald } = useTestApp({ notifications: { clock } });
  const browser = usePortalBrowser(() => herald.baseUrl);

  /** A tenant with one subscription, and a portal link for it made through the admin API. */
  async function linkFor(body: { ttl?: number; readOnly?: boolean }) {
    const tenant = await createTenant(herald);
    const subscription = await createSubscription(herald, tenant, 'http://127.0.0.1:9/linked');
    const created = await request(herald.baseUrl)
      .post(`/v1/tenants/${tenant.tenantId}/portal-sessions`)
      .set({ Authorization: `Bearer ${herald.adminToken}` })
      .send(body)
      .expect(201);
    const { url, token } = created.body as { url: string; token: string };
    // The link names the public URL (here the default, localhost:3000): the same path and
    // fragment on the test app's own address.
    const link = new URL(url);
    return { subscription, token, link: `${herald.baseUrl}${link.pathname}${link.hash}` };
  }

  async function openLink(link: string): Promise<PortalPage> {
    const opened = await browser.open();
    await opened.page.goto(link);
    return opened;
  }

  it('signs in from the link, takes the token out of the address bar, and shows when it ends', async () => {
    const { subscription, token, link } = await linkFor({});
    const portal = await openLink(link);
    const { page } = portal;

    await page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
    await portal.subscription(subscription.url).waitFor();
    expect(page.url()).toBe(`${herald.baseUrl}/portal`);
    expect(page.url()).not.toContain(token);
    await page.getByText(/^Session · ends /).waitFor();
    await portal.button('Delete', portal.subscription(subscription.url)).waitFor();
    await portal.button('New subscription').waitFor();
    await portal.liveConnected();
    await saveScreenshot(page, 'portal-link');

    // A reload keeps the tab signed in, and the token is still nowhere in the address bar.
    await page.reload();
    await portal.subscription(subscription.url).waitFor();
    expect(page.url()).toBe(`${herald.baseUrl}/portal`);
  });

  it('shows a read-only link no button that changes anything', async () => {
    const { subscription, link } = await linkFor({ readOnly: true });
    const portal = await openLink(link);
    const { page } = portal;
    const item = portal.subscription(subscription.url);

    await item.waitFor();
    await page.getByText(/^Read-only session · ends /).waitFor();
    await portal.button('Deliveries', item).click();
    await page.getByText('No deliveries to show.').waitFor();
    await portal.button('Reveal secret').waitFor();
    for (const name of ['Delete', 'Edit', 'Disable']) {
      expect({ name, count: await portal.button(name, item).count() }).toEqual({ name, count: 0 });
    }
    for (const name of ['New subscription', 'Send test event', 'Rotate secret']) {
      expect({ name, visible: await portal.button(name).isVisible() }).toEqual({
        name,
        visible: false,
      });
    }
    await saveScreenshot(page, 'portal-link-read-only');
  });

  it('signs the page out at the first call after the session ends', async () => {
    const { subscription, link } = await linkFor({ ttl: 60 });
    const portal = await openLink(link);
    const { page } = portal;
    const item = portal.subscription(subscription.url);
    await item.waitFor();

    clock.advance(61_000);
    await portal.button('Deliveries', item).click();

    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText('Your portal session has ended. Ask for a new link.').waitFor();
    expect(await item.count()).toBe(0);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('says so when a link has ended or was revoked, and keeps API-key sign-in', async () => {
    const portal = await openLink(`${herald.baseUrl}/portal#token=hp_${'0'.repeat(43)}`);
    const { page } = portal;

    await page.getByText('This portal link has ended or was revoked. Ask for a new one.').waitFor();
    expect(page.url()).toBe(`${herald.baseUrl}/portal`);
    await page.getByLabel('API key').waitFor();
  });
});
