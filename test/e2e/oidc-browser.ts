/**
 * What a person does in the browser during `aws sso login`, driven by Playwright in Debian's
 * chromium: sign in when asked, confirm the pre-filled device code, and click Allow (or Deny).
 * Shared by the device-flow and PKCE end-to-end suites.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';

export interface Person {
  userName: string;
  password: string;
}

/** On a sign-in page: user name, Next, password, Sign in. No-op when already signed in. */
export async function signInIfAsked(page: Page, person: Person): Promise<void> {
  if (!new URL(page.url()).pathname.startsWith('/signin')) return;
  await page.fill('#user_name', person.userName);
  await page.click('main button[type=submit]');
  await page.fill('#password', person.password);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.startsWith('/signin')),
    page.click('main button[type=submit]'),
  ]);
}

/** Open the verification URI the CLI printed, sign in, confirm the code, then Allow or Deny. */
export async function approveDeviceInBrowser(
  context: BrowserContext,
  verificationUriComplete: string,
  person: Person,
  expect: { clientName: string; userCode: string; clientLabel?: string },
  decision: 'Allow' | 'Deny' = 'Allow',
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(verificationUriComplete);
  await signInIfAsked(page, person);
  assert.equal(new URL(page.url()).pathname, '/device');
  assert.equal(await page.inputValue('#user_code'), expect.userCode, 'the code is pre-filled');
  await page.click('main button[type=submit]');
  assert.equal(await page.textContent('[data-testid=client-name]'), expect.clientName);
  if (expect.clientLabel !== undefined) {
    assert.equal(await page.textContent('[data-testid=client-label]'), expect.clientLabel);
  }
  assert.equal(await page.textContent('[data-testid=user-code]'), expect.userCode);
  await page.click(`button[value=${decision === 'Allow' ? 'allow' : 'deny'}]`);
  await page.waitForSelector('h1');
  return page;
}

/** A fresh HOME for AWS clients, with the token cache directory created. */
export function ssoCacheDir(home: string): string {
  const dir = path.join(home, '.aws', 'sso', 'cache');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
