/**
 * Debian's chromium driven by playwright-core, never a downloaded browser. Each launch gets a
 * fresh profile directory, removed on close.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.IDCENTER_TEST_CHROMIUM ?? '/usr/bin/chromium';

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(
  options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {},
): Promise<TestBrowser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: options.viewport ?? { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Press Tab until the focused element is the one `matches` describes (at most `presses` times):
 * keyboard operation as a person does it. `matches` runs in the page, so it may use only its
 * argument.
 */
export async function tabTo(
  page: Page,
  description: string,
  matches: (el: Element) => boolean,
  presses = 40,
): Promise<void> {
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    const found = await page.evaluate((src) => {
      const el = document.activeElement;
      return el ? (new Function('el', `return (${src})(el)`) as (e: Element) => boolean)(el) : false;
    }, matches.toString());
    if (found) return;
  }
  assert.fail(`Tab never reached ${description}`);
}

export type { Browser };
