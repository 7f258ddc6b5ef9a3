import type { Browser } from 'playwright-core';
import request from 'supertest';
import { DELIVERY_QUEUE } from '../../src/notifications';
import { createTenant, type TestTenant } from '../utils/create-tenant';
import { startTestApp } from '../utils/test-app';
import { launchChromium, saveScreenshot } from './launch-chromium';
import { useTestApp } from '../utils/use-test-app';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

jest.setTimeout(60_000);

describe('operator view: Bull queues at /admin/queues', () => {
  const { herald, db } = useTestApp();
  let tenant: TestTenant;

  beforeAll(async () => {
    tenant = await createTenant(herald);
  });

  const api = () => request(herald.baseUrl);

  it('answers 401 with a Basic challenge without the admin token', async () => {
    const refused = [
      undefined,
      tenant.auth.Authorization,
      basic('ops', tenant.apiKey),
      basic('ops', `${herald.adminToken}x`),
      basic(herald.adminToken, ''),
      'Basic not base64!',
      `Bearer ${herald.adminToken.slice(0, -1)}`,
    ];
    for (const authorization of refused) {
      // Other spellings of the same routes too: an encoded letter, a doubled slash, a trailing one.
      for (const path of [
        '/admin/queues',
        '/admin/queues/api/queues',
        '/admin/%71ueues/api/queues',
        '/admin/queues//api/queues',
        '/admin/queues/',
      ]) {
        const call = api().get(path);
        if (authorization) void call.set('Authorization', authorization);
        const response = await call.expect(401);
        expect({ authorization, path, challenge: response.headers['www-authenticate'] }).toEqual({
          authorization,
          path,
          challenge: 'Basic realm="Herald admin", charset="UTF-8"',
        });
        expect(response.body).toMatchObject({ statusCode: 401, code: 'unauthorized' });
      }
    }
  });

  it('serves the board with the admin token as the Basic password (any user) or as Bearer', async () => {
    const page = await api()
      .get('/admin/queues')
      .set('Authorization', basic('anyone', herald.adminToken))
      .expect(200)
      .expect('content-type', /text\/html/);
    expect(page.text).toContain('Herald queues');
    await api()
      .get('/admin/queues')
      .set('Authorization', `Bearer ${herald.adminToken}`)
      .expect(200);
    const queues = await api()
      .get('/admin/queues/api/queues')
      .set('Authorization', basic('', herald.adminToken))
      .expect(200);
    expect(JSON.stringify(queues.body)).toContain(DELIVERY_QUEUE);
  });

  it('shows the delivery queue in a browser signed in with Basic auth', async () => {
    const browser: Browser = await launchChromium();
    try {
      const context = await browser.newContext({
        httpCredentials: { username: 'ops', password: herald.adminToken },
        viewport: { width: 1280, height: 800 },
      });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      await page.goto(`${herald.baseUrl}/admin/queues`);
      await page.getByText(DELIVERY_QUEUE).first().waitFor();
      await saveScreenshot(page, 'admin-queues');
    } finally {
      await browser.close();
    }
  });

  it('is not mounted on a process without the api role', async () => {
    const worker = await startTestApp({
      databaseUrl: db.url,
      env: { HERALD_ROLES: 'worker' },
    });
    try {
      await request(worker.baseUrl)
        .get('/admin/queues')
        .set('Authorization', basic('ops', worker.adminToken))
        .expect(404);
      await request(worker.baseUrl).get('/portal').expect(404);
    } finally {
      await worker.close();
    }
  });
});
