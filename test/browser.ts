/** The browser of the console tests: Chromium at /usr/bin/chromium, or MEDBILL_CHROMIUM. */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.MEDBILL_CHROMIUM || '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'] });
}
