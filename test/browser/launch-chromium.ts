import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), as `.ci/run` installs it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where screenshots of each main screen are saved (git-ignored). */
export const SCREENSHOT_DIR = join(__dirname, '..', '..', 'test-output', 'screenshots');

/** Starts headless Chromium with the flags a container needs (no sandbox, no GPU, small /dev/shm). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

/** Hides (or shows again) the portal's passing messages; a no-op on other pages. */
const TOASTS = (hidden: boolean) =>
  `document.querySelectorAll('.toasts').forEach((toasts) => { toasts.hidden = ${hidden}; })`;

/**
 * Saves a full-page screenshot as `test-output/screenshots/<name>.png`, without the portal's
 * passing messages (fixed to the viewport, they would land mid-page in a full-page picture).
 */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // Hidden from a script rather than Playwright's `style` option: the portal's CSP refuses
  // injected style elements, and the tests keep that policy on.
  await page.evaluate(TOASTS(true));
  try {
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  } finally {
    await page.evaluate(TOASTS(false));
  }
}
