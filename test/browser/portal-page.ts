import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchChromium } from './launch-chromium';

/** How long one browser step may wait for the page: deliveries are re-read every 2 s. */
export const STEP_TIMEOUT_MS = 15_000;

/**
 * Chromium for one describe block: `open()` gives a fresh browser profile (nothing in session
 * storage) and its page; after each test the profile is closed and the test fails if its page
 * reported a problem (a script error, a refused CSP).
 */
export function usePortalBrowser(baseUrl: () => string): {
  open(viewport?: { width: number; height: number }): Promise<PortalPage>;
} {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  /** The page of the running test, checked for script and CSP errors after it. */
  let opened: PortalPage | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterEach(async () => {
    const problems = opened?.problems ?? [];
    await context?.close();
    context = undefined;
    opened = undefined;
    expect(problems).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  return {
    async open(viewport = { width: 1280, height: 900 }) {
      if (!browser) throw new Error('Chromium is not running');
      context = await browser.newContext({ viewport });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      opened = new PortalPage(await context.newPage(), baseUrl());
      return opened;
    },
  };
}

/** The portal as a user sees it: found by labels, roles and visible text, as a person would. */
export class PortalPage {
  /** Uncaught script errors and refused content (CSP) the page reported; tests expect none. */
  readonly problems: string[] = [];

  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {
    page.on('pageerror', (error) => this.problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
        this.problems.push(message.text());
      }
    });
  }

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/portal`);
    await this.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  /** Opens the portal and signs in with `apiKey`, waiting for the subscriptions to show. */
  async signIn(apiKey: string): Promise<void> {
    await this.open();
    await this.page.getByLabel('API key').fill(apiKey);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByRole('heading', { name: 'Subscriptions' }).waitFor();
  }

  /** Resolves once the live events panel is reading the stream. */
  async liveConnected(): Promise<void> {
    await this.page.getByText('Connected: events appear here').waitFor();
  }

  subscription(url: string): Locator {
    return this.page.locator('#subscription-list > li').filter({ hasText: url });
  }

  /** The delivery of one event in the open subscription, optionally only once it has `status`. */
  delivery(eventId: string, status?: 'pending' | 'succeeded' | 'failed'): Locator {
    return this.page
      .locator(`#delivery-list > li.delivery${status ? `.${status}` : ''}`)
      .filter({ hasText: eventId });
  }

  /** The attempt rows of a delivery, oldest first. */
  attempts(eventId: string): Locator {
    return this.delivery(eventId).locator('tbody tr');
  }

  liveEvent(text: string): Locator {
    return this.page.locator('#live-list > li').filter({ hasText: text });
  }

  button(name: string, within?: Locator): Locator {
    return (within ?? this.page).getByRole('button', { name, exact: true });
  }
}
