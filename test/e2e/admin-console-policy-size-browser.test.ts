/**
 * Inline policies at IAM's size limit through the admin console, in Debian chromium on SQLite
 * and PostgreSQL, judged by @aws-sdk/client-sso-admin: a policy of about 32,000 characters that
 * IAM accepts, whose form is well above 64 KiB once URL-encoded (its tabs, quotes and line
 * breaks are three bytes each, six for CRLF), saves, and GetInlinePolicyForPermissionSet returns
 * it byte for byte; one of 32,769 characters comes back in the editor with IAM's reason; a body
 * above the form's limit (256 KiB for the inline policy, 64 KiB for the other forms) is answered
 * 413 with a page that names the limit, nothing changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { GetInlinePolicyForPermissionSetCommand, type SSOAdminClient } from '@aws-sdk/client-sso-admin';
import type { Page } from 'playwright-core';
import {
  MAX_POLICY_BYTES,
  MAX_POLICY_NON_WHITESPACE_BYTES,
} from '../../src/domain/identity/policy-document.ts';
import { MAX_FORM_BYTES } from '../../src/web/request-text.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  type ConsoleClient,
  formPosted,
  type PermissionSetConsole,
  startPermissionSetConsole,
} from './admin-console-fixtures.ts';

/**
 * A policy IAM accepts of about 32,000 characters, most of them tabs (IAM allows 10,240 that
 * are not whitespace) and the rest quotes, colons and commas: each is three bytes in a form.
 */
function bigPolicy(): string {
  const actions: string[] = [];
  const text = () =>
    JSON.stringify(
      { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] },
      null,
      '\t\t\t\t\t\t\t\t\t\t',
    );
  while (text().length < 31_900) actions.push(`s3:Get${actions.length}`);
  return text();
}

for (const kind of STORE_KINDS) {
  describe(`admin console: inline policies at IAM's size limit in chromium (${kind})`, () => {
    let server: TestServer;
    let page: Page;
    let sso: SSOAdminClient;
    let inst: string;
    let devId: string;
    let devArn: string;
    let alice: ConsoleClient;
    let pageErrors: string[];
    let fixture: PermissionSetConsole | undefined;
    const psPath = () => `/admin/permission-sets/${devId}`;

    before(async () => {
      fixture = await startPermissionSetConsole(kind);
      ({ server, page, pageErrors, sso, devId, devArn, alice } = fixture);
      inst = fixture.instanceArn;
    });
    after(async () => fixture?.stop());

    /** Clicks the button `name`, which sends a form: the answer, once the page it leads to is loaded. */
    const clickButton = (name: string) =>
      formPosted(page, () => page.getByRole('button', { name, exact: true }).click());

    const inlinePolicy = async () =>
      (
        await sso.send(
          new GetInlinePolicyForPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: devArn }),
        )
      ).InlinePolicy;

    it('saves an inline policy of about 32,000 characters whose form is above 64 KiB, byte for byte', async () => {
      const policy = bigPolicy();
      assert.ok(policy.length > 31_000 && policy.length <= MAX_POLICY_BYTES, `${policy.length}`);
      assert.ok(policy.replace(/\s+/g, '').length <= MAX_POLICY_NON_WHITESPACE_BYTES);
      // As chromium sends it: lines as CRLF, then URL-encoded.
      const encoded = new URLSearchParams({ policy: policy.replace(/\n/g, '\r\n') }).toString();
      assert.ok(encoded.length > MAX_FORM_BYTES, `${encoded.length} bytes`);

      await page.goto(`${server.url}${psPath()}`);
      await page.fill('#inline-policy', policy);
      const saved = await clickButton('Save the inline policy');
      assert.equal(saved.status(), 303);
      assert.ok((saved.request().postDataBuffer()?.length ?? 0) > MAX_FORM_BYTES);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The inline policy was saved/);
      assert.equal(await inlinePolicy(), policy);
    });

    it('keeps a policy of 32,769 characters in the editor with IAM’s reason, and answers a body above the form’s limit with 413', async () => {
      const policy = bigPolicy();
      const long = policy.replace('\n', `\n${'\t'.repeat(MAX_POLICY_BYTES + 1 - policy.length)}`);
      assert.equal(long.length, MAX_POLICY_BYTES + 1);
      await page.goto(`${server.url}${psPath()}`);
      await page.fill('#inline-policy', long);
      const refused = await clickButton('Save the inline policy');
      assert.equal(refused.status(), 400);
      assert.match(
        (await page.locator('#policy-error').textContent()) ?? '',
        /inline policy is 32769 bytes; at most 32768 are allowed.*Nothing was changed/,
      );
      assert.equal((await page.inputValue('#inline-policy')).replace(/\r\n/g, '\n'), long);
      assert.equal(await inlinePolicy(), policy);

      // Above the limit of the inline policy's form, and of every other form.
      for (const [action, fields, limit] of [
        [`${psPath()}/inline-policy`, { policy: `${policy}${' '.repeat(300 * 1024)}` }, /256 KiB/],
        [`${psPath()}/tags`, { key: 'team', value: 'x'.repeat(70 * 1024) }, /64 KiB/],
      ] as const) {
        const res = await alice.post(action, fields);
        assert.equal(res.status, 413, action);
        const body = await res.text();
        assert.match(body, limit, action);
        assert.match(body, /nothing was changed/, action);
      }
      assert.equal(await inlinePolicy(), policy);
      assert.deepEqual(pageErrors, []);
    });
  });
}
