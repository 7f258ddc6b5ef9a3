import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DELIVERY_QUEUE } from '../../src/notifications';
import { useTestApp } from '../utils/use-test-app';
import { launchChromium } from './launch-chromium';

jest.setTimeout(60_000);

/** Page errors and CSP refusals a page ran into, which a working page has none of. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
      problems.push(message.text());
  });
  return problems;
}

/**
 * Swagger UI and the operator view work under the service's security headers, and no page of the
 * service can be framed by another site (the portal's own browser tests cover it working).
 */
describe('service pages under their security headers, in Chromium', () => {
  const { herald } = useTestApp();
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    context = await browser.newContext(options);
    context.setDefaultTimeout(15_000);
    return context.newPage();
  }

  it('runs Swagger UI: it lists the operations and webhooks, and sends a request', async () => {
    const page = await newPage();
    const problems = watchProblems(page);
    await page.goto(`${herald.baseUrl}/docs`);

    const operation = page.locator('.opblock-get', { hasText: '/v1/subscriptions' }).first();
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    await operation.getByRole('button', { name: 'Execute' }).click();
    // No token was given: the API's own 401, fetched from the page.
    await operation
      .locator('.live-responses-table .response-col_status', { hasText: '401' })
      .waitFor();
    // The webhooks of the OpenAPI 3.1 document: Herald's own events, at least.
    await page.locator('.webhooks .opblock-summary-path[data-path="webhook.test"]').waitFor();
    expect(problems).toEqual([]);
  });

  it('runs the operator view', async () => {
    const page = await newPage({
      httpCredentials: { username: 'ops', password: herald.adminToken },
    });
    const problems = watchProblems(page);
    await page.goto(`${herald.baseUrl}/admin/queues`);

    await page.getByText(DELIVERY_QUEUE).first().click();
    await page.waitForURL(/\/admin\/queues\/queue\//);
    await page.getByText(DELIVERY_QUEUE).first().waitFor();
    expect(problems).toEqual([]);
  });

  describe('framed by another site', () => {
    let framer: Server;
    let framerUrl: string;

    beforeAll(async () => {
      // Another origin (localhost, not 127.0.0.1) that frames each page, and a page of its own
      // to show that framing works at all here.
      framer = createServer((request, response) => {
        const target = new URL(request.url ?? '/', 'http://framer').searchParams.get('src');
        response.setHeader('Content-Type', 'text/html');
        if (target === null) response.end('<p id="own">framed fine</p>');
        else response.end(`<iframe src="${target}" width="800" height="600"></iframe>`);
      });
      await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
      framerUrl = `http://localhost:${(framer.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => framer?.close(resolve));
    });

    /** The URL the framed document ended up at, and what the browser said about it. */
    async function frame(src: string): Promise<{ url: string; refusals: string[] }> {
      const page = await newPage({
        httpCredentials: { username: 'ops', password: herald.adminToken },
      });
      const refusals: string[] = [];
      page.on('console', (message) => {
        if (/frame/i.test(message.text())) refusals.push(message.text());
      });
      await page.goto(`${framerUrl}/?src=${encodeURIComponent(src)}`);
      const child = await (await page.waitForSelector('iframe')).contentFrame();
      await child!.waitForLoadState();
      return { url: child!.url(), refusals };
    }

    it('shows a framable page, so the refusals below are the headers at work', async () => {
      expect(await frame(`${framerUrl}/`)).toEqual({ url: `${framerUrl}/`, refusals: [] });
    });

    it.each(['/docs', '/portal', '/admin/queues'])('refuses to show %s', async (path) => {
      const { url, refusals } = await frame(`${herald.baseUrl}${path}`);

      expect(url).not.toBe(`${herald.baseUrl}${path}`);
      expect(refusals).toContainEqual(
        expect.stringMatching(/frame-ancestors 'none'|X-Frame-Options/),
      );
    });
  });
});
