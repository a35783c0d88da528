/**
 * Changing permission sets and OUs from the admin console in Debian chromium, on SQLite and
 * PostgreSQL, judged by the AWS SDK: an administrator edits a permission set's inline policy (a
 * policy IAM would refuse comes back in the editor with what is wrong), attaches and detaches an
 * AWS managed policy, changes the session duration, creates, renames and deletes an OU (never a
 * non-empty one) and moves an account; @aws-sdk/client-sso-admin and client-organizations then
 * describe what the console did. A form with a missing or wrong CSRF token changes nothing; a
 * read-only administrator is offered no control and refused every change. Each change is
 * audited with the administrator, shows as drift in `idcenter apply --dry-run`, and is in
 * `idcenter export`. Screenshots of a permission set's page, light and dark, go to
 * test-output/screenshots/admin-permission-set-*.png.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  DescribeOrganizationalUnitCommand,
  ListOrganizationalUnitsForParentCommand,
  ListParentsCommand,
  ListRootsCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import {
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  GetPermissionsBoundaryForPermissionSetCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  ListManagedPoliciesInPermissionSetCommand,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import type { Page } from 'playwright-core';
import { exportOrg } from '../../src/app/export/index.ts';
import { organizationsClient, outcome, WORKLOAD } from '../helpers/admin.ts';
import { idcenter } from '../helpers/apply.ts';
import { launchBrowser, tabTo as tabToIn } from '../helpers/browser.ts';
import { auditRows } from '../helpers/oidc.ts';
import type { TestServer } from '../helpers/server.ts';
import { STORE_KINDS } from '../helpers/stores.ts';
import {
  ConsoleClient,
  formPosted,
  type PermissionSetConsole,
  startPermissionSetConsole,
} from './admin-console-fixtures.ts';
import { signIn } from './portal-fixtures.ts';

const SHOTS = path.resolve('test-output/screenshots');
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Logs', Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*' }],
};

for (const kind of STORE_KINDS) {
  describe(`admin console changes in chromium (${kind})`, () => {
    let server: TestServer;
    let page: Page;
    let sso: SSOAdminClient;
    let orgs: OrganizationsClient;
    let inst: string;
    let devId: string;
    let devArn: string;
    let aliceId: string;
    let bob: ConsoleClient;
    let alice: ConsoleClient;
    let pageErrors: string[];
    let userIdOf: (name: string) => Promise<string>;
    let fixture: PermissionSetConsole | undefined;
    const db = () => server.deps.ctx.store.db;
    const psPath = () => `/admin/permission-sets/${devId}`;

    before(async () => {
      fixture = await startPermissionSetConsole(kind);
      ({ server, page, pageErrors, sso, devId, devArn, aliceId, alice, userIdOf } = fixture);
      inst = fixture.instanceArn;
      orgs = organizationsClient(server.url, fixture.credentials);
      bob = await ConsoleClient.as(server.url, server.deps, await userIdOf('bob'));
      fs.mkdirSync(SHOTS, { recursive: true });
    });
    after(async () => fixture?.stop());

    const posted = (act: () => Promise<void>) => formPosted(page, act);

    /** Press Tab until the focused element is the one `matches` describes (at most 60 presses). */
    const tabTo = (description: string, matches: (el: Element) => boolean) =>
      tabToIn(page, description, matches, 60);

    /** Submits the form of the field `selector` with Enter. */
    const submitWithEnter = (selector: string) => posted(() => page.press(selector, 'Enter'));

    const clickButton = (name: string | RegExp) =>
      posted(() => page.getByRole('button', { name, exact: typeof name === 'string' }).click());

    const inlinePolicy = async () =>
      (
        await sso.send(
          new GetInlinePolicyForPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: devArn }),
        )
      ).InlinePolicy;
    const duration = async () =>
      (await sso.send(new DescribePermissionSetCommand({ InstanceArn: inst, PermissionSetArn: devArn })))
        .PermissionSet?.SessionDuration;
    const managed = async () =>
      (
        await sso.send(
          new ListManagedPoliciesInPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: devArn }),
        )
      ).AttachedManagedPolicies?.map((p) => p.Arn);

    it('keeps a policy IAM would refuse in the editor with what is wrong, and saves a valid one sso-admin then returns', async () => {
      await page.goto(`${server.url}${psPath()}`);
      assert.equal(await inlinePolicy(), undefined);
      const refusals: Array<[string, RegExp]> = [
        ['{"Version": "2012-10-17", "Statement": [', /not valid JSON/],
        [
          '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}]}',
          /Effect/,
        ],
      ];
      for (const [typed, why] of refusals) {
        await page.fill('#inline-policy', typed);
        const res = await clickButton('Save the inline policy');
        assert.equal(res.status(), 400);
        assert.match((await page.locator('#policy-error').textContent()) ?? '', why);
        assert.match((await page.locator('#policy-error').textContent()) ?? '', /Nothing was changed/);
        // What was typed is there to correct (a textarea's lines come back as the browser sent them).
        assert.equal((await page.inputValue('#inline-policy')).replace(/\r\n/g, '\n'), typed);
        assert.equal(await page.getAttribute('#inline-policy', 'aria-invalid'), 'true');
        assert.equal(await inlinePolicy(), undefined);
      }

      await page.fill('#inline-policy', JSON.stringify(POLICY, null, 2));
      const saved = await clickButton('Save the inline policy');
      assert.equal(saved.status(), 303);
      assert.match(page.url(), /\?done=inline-saved$/);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The inline policy was saved/);
      assert.deepEqual(JSON.parse((await inlinePolicy()) ?? ''), POLICY);
      assert.deepEqual(JSON.parse(await page.inputValue('#inline-policy')), POLICY);
      if (kind === 'sqlite') {
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          await page.screenshot({
            path: path.join(SHOTS, `admin-permission-set-${scheme}.png`),
            animations: 'disabled',
            fullPage: true,
          });
        }
        await page.emulateMedia({ colorScheme: 'light' });
      }
    });

    it('attaches and detaches an AWS managed policy, refusing an ARN that is not one and a second attachment', async () => {
      await page.goto(`${server.url}${psPath()}`);
      await page.fill('#managed-arn', READ_ONLY);
      const attached = await submitWithEnter('#managed-arn');
      assert.equal(attached.status(), 303);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /managed policy was attached/);
      assert.ok((await managed())?.includes(READ_ONLY));
      assert.ok((await page.locator('#managed-policies').textContent())?.includes(READ_ONLY));

      const before = await managed();
      for (const [arn, status, why] of [
        ['arn:aws:iam::123456789012:policy/Mine', 400, /is not an AWS managed policy ARN/],
        [READ_ONLY, 409, /already attached/],
      ] as const) {
        await page.goto(`${server.url}${psPath()}`);
        await page.fill('#managed-arn', arn);
        const res = await submitWithEnter('#managed-arn');
        assert.equal(res.status(), status, arn);
        assert.match((await page.locator('main').textContent()) ?? '', why);
        assert.deepEqual(await managed(), before);
      }

      await page.goto(`${server.url}${psPath()}`);
      const detached = await clickButton(`Detach ${READ_ONLY}`);
      assert.equal(detached.status(), 303);
      assert.equal((await managed())?.includes(READ_ONLY), false);
      assert.deepEqual(await managed(), ['arn:aws:iam::aws:policy/AdministratorAccess']);
    });

    it('changes the session duration, never beyond PT1H..PT12H', async () => {
      for (const [value, status] of [
        ['PT13H', 400],
        ['PT30M', 400],
        ['four hours', 400],
        ['PT4H', 303],
      ] as const) {
        await page.goto(`${server.url}${psPath()}`);
        await page.getByText('Edit the definition').click();
        await page.fill('#ps-duration', value);
        const res = await submitWithEnter('#ps-duration');
        assert.equal(res.status(), status, value);
        if (status === 400) {
          assert.match((await page.locator('main').textContent()) ?? '', /PT1H|ISO-8601/);
          assert.equal(await duration(), 'PT1H');
        }
      }
      assert.equal(await duration(), 'PT4H');
      assert.equal(await page.locator('#ps-duration-now').textContent(), 'PT4H');
    });

    it('edits the description and relay state with the keyboard alone', async () => {
      await page.goto(`${server.url}${psPath()}`);
      await tabTo(
        'the definition form',
        (el) => el.tagName === 'SUMMARY' && el.textContent === 'Edit the definition',
      );
      await page.keyboard.press('Enter');
      await tabTo('the description', (el) => el.id === 'ps-description');
      await page.keyboard.type('Builds the workloads');
      await tabTo('the relay state', (el) => el.id === 'ps-relay');
      await page.keyboard.type('https://console.aws.amazon.com/ecs/home');
      const res = await posted(() => page.keyboard.press('Enter'));
      assert.equal(res.status(), 303);
      const ps = (
        await sso.send(new DescribePermissionSetCommand({ InstanceArn: inst, PermissionSetArn: devArn }))
      ).PermissionSet;
      assert.deepEqual(
        [ps?.Description, ps?.RelayState, ps?.SessionDuration],
        ['Builds the workloads', 'https://console.aws.amazon.com/ecs/home', 'PT4H'],
      );
      // Emptied, they are refused (sso-admin takes no empty one), and kept.
      await page.getByText('Edit the definition').click();
      await page.fill('#ps-relay', '');
      const emptied = await submitWithEnter('#ps-relay');
      assert.equal(emptied.status(), 400);
      assert.match((await page.locator('main').textContent()) ?? '', /The relay state cannot be removed/);
      // Sent as they are, nothing changes and nothing is written.
      const rows = (await auditRows(server.deps, 'permission_set.update')).length;
      await page.goto(`${server.url}${psPath()}`);
      await page.getByText('Edit the definition').click();
      await submitWithEnter('#ps-duration');
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /Nothing was changed/);
      assert.equal((await auditRows(server.deps, 'permission_set.update')).length, rows);
    });

    it('attaches a customer managed policy reference and sets and removes a permissions boundary', async () => {
      const refs = async () =>
        (
          await sso.send(
            new ListCustomerManagedPolicyReferencesInPermissionSetCommand({
              InstanceArn: inst,
              PermissionSetArn: devArn,
            }),
          )
        ).CustomerManagedPolicyReferences;
      const boundary = () =>
        sso.send(
          new GetPermissionsBoundaryForPermissionSetCommand({ InstanceArn: inst, PermissionSetArn: devArn }),
        );
      await page.goto(`${server.url}${psPath()}`);
      await page.fill('#customer-name', 'LogReader');
      await page.fill('#customer-path', '/sec/');
      assert.equal((await clickButton('Attach reference')).status(), 303);
      assert.deepEqual(await refs(), [{ Name: 'LogReader', Path: '/sec/' }]);
      assert.equal((await clickButton('Detach /sec/LogReader')).status(), 303);
      assert.deepEqual(await refs(), []);

      await page.getByText('Set a boundary').click();
      await page.check('input[name=kind][value=customer]');
      await page.fill('#boundary-name', 'Fence');
      assert.equal((await clickButton('Set the boundary')).status(), 303);
      assert.deepEqual((await boundary()).PermissionsBoundary, {
        CustomerManagedPolicyReference: { Name: 'Fence', Path: '/' },
      });
      assert.match((await page.locator('#boundary').textContent()) ?? '', /\/Fence \(customer managed\)/);
      assert.equal((await clickButton('Remove the boundary')).status(), 303);
      assert.equal(await outcome(boundary()), 'ResourceNotFoundException');
    });

    it('provisions the changed permission set to the accounts whose role is behind', async () => {
      const behind = async () =>
        (
          await sso.send(
            new ListAccountsForProvisionedPermissionSetCommand({
              InstanceArn: inst,
              PermissionSetArn: devArn,
              ProvisioningStatus: 'LATEST_PERMISSION_SET_NOT_PROVISIONED',
            }),
          )
        ).AccountIds;
      assert.deepEqual(await behind(), [WORKLOAD]);
      await page.goto(`${server.url}${psPath()}`);
      assert.match(
        (await page.locator('#provisioning').textContent()) ?? '',
        /1 account has an older version/,
      );
      assert.equal((await clickButton('Provision to every account')).status(), 303);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /latest version now/);
      assert.deepEqual(await behind(), []);
      assert.equal(await page.getByRole('button', { name: 'Provision to every account' }).count(), 0);
    });

    it('creates, renames and deletes an OU and moves an account, as organizations then describes them', async () => {
      const root = (await orgs.send(new ListRootsCommand({}))).Roots?.[0]?.Id ?? '';
      const namesUnderRoot = async () =>
        (
          await orgs.send(new ListOrganizationalUnitsForParentCommand({ ParentId: root }))
        ).OrganizationalUnits?.map((o) => o.Name);
      const parentOfWorkload = async () =>
        (await orgs.send(new ListParentsCommand({ ChildId: WORKLOAD }))).Parents?.[0];

      await page.goto(`${server.url}/admin/accounts`);
      await page.getByText('Create an OU under the root').click();
      await page.fill('#ou-name', 'Sandbox');
      const created = await submitWithEnter('#ou-name');
      assert.equal(created.status(), 303);
      const ouId = new URL(page.url()).searchParams.get('ou') ?? '';
      assert.match(ouId, /^ou-/);
      assert.match((await page.locator('h1').textContent()) ?? '', /Accounts in \/Sandbox/);
      assert.deepEqual((await namesUnderRoot())?.sort(), ['Sandbox', 'Workloads']);

      await page.getByText('Rename /Sandbox').click();
      await page.fill('#ou-rename', 'Playground');
      assert.equal((await submitWithEnter('#ou-rename')).status(), 303);
      assert.equal(
        (await orgs.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId })))
          .OrganizationalUnit?.Name,
        'Playground',
      );
      const workloads = (await parentOfWorkload())?.Id ?? '';

      await page.goto(`${server.url}/admin/accounts/${WORKLOAD}`);
      await page.selectOption('#move-to', { label: '/Playground' });
      assert.equal((await clickButton('Move account')).status(), 303);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The account was moved/);
      assert.deepEqual(await parentOfWorkload(), { Id: ouId, Type: 'ORGANIZATIONAL_UNIT' });

      await page.goto(`${server.url}/admin/accounts?ou=${ouId}`);
      const notEmpty = await clickButton(/^Delete OU/);
      assert.equal(notEmpty.status(), 409);
      assert.match((await page.locator('main').textContent()) ?? '', /The specified OU is not empty/);
      assert.equal(
        (await orgs.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId })))
          .OrganizationalUnit?.Name,
        'Playground',
      );

      await page.goto(`${server.url}/admin/accounts/${WORKLOAD}`);
      await page.selectOption('#move-to', { label: '/Workloads' });
      assert.equal((await clickButton('Move account')).status(), 303);
      assert.deepEqual(await parentOfWorkload(), { Id: workloads, Type: 'ORGANIZATIONAL_UNIT' });
      await page.goto(`${server.url}/admin/accounts?ou=${ouId}`);
      assert.equal((await clickButton(/^Delete OU/)).status(), 303);
      assert.match((await page.locator('[role=status]').textContent()) ?? '', /The OU was deleted/);
      assert.equal(
        await outcome(orgs.send(new DescribeOrganizationalUnitCommand({ OrganizationalUnitId: ouId }))),
        'OrganizationalUnitNotFoundException',
      );
      assert.deepEqual(await namesUnderRoot(), ['Workloads']);
    });

    /** What the forms below could change, to show that nothing did. */
    const state = async () => ({
      duration: await duration(),
      versions: await db()
        .selectFrom('provisioned_roles')
        .select(['account_id', 'provisioned_version'])
        .where('permission_set_id', '=', devId)
        .execute(),
      managed: await managed(),
      inline: await inlinePolicy(),
      ous: (await db().selectFrom('ous').select(['id', 'name']).orderBy('id').execute()).map((o) => o.name),
      workload: (
        await db().selectFrom('accounts').select('ou_id').where('id', '=', WORKLOAD).executeTakeFirst()
      )?.ou_id,
      changes: (
        await auditRows(server.deps, [
          'permission_set.update',
          'ou.create',
          'ou.update',
          'ou.delete',
          'account.update',
        ])
      ).length,
    });

    /** Every change form of the console with fields that would be accepted. */
    const forms = async (): Promise<Array<[string, Record<string, string>, string]>> => {
      const ou = (
        await db().selectFrom('ous').select('id').where('name', '=', 'Workloads').executeTakeFirstOrThrow()
      ).id;
      return [
        [`${psPath()}/edit`, { sessionDuration: 'PT2H' }, 'sso:UpdatePermissionSet'],
        [`${psPath()}/provision`, {}, 'sso:ProvisionPermissionSet'],
        [`${psPath()}/managed-policies`, { arn: READ_ONLY }, 'sso:AttachManagedPolicyToPermissionSet'],
        [
          `${psPath()}/managed-policies/detach`,
          { arn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
          'sso:DetachManagedPolicyFromPermissionSet',
        ],
        [
          `${psPath()}/inline-policy`,
          { policy: JSON.stringify(POLICY) },
          'sso:PutInlinePolicyToPermissionSet',
        ],
        [`${psPath()}/inline-policy/delete`, {}, 'sso:DeleteInlinePolicyFromPermissionSet'],
        [
          `${psPath()}/customer-policies`,
          { name: 'LogReader', path: '/sec/' },
          'sso:AttachCustomerManagedPolicyReferenceToPermissionSet',
        ],
        [
          `${psPath()}/boundary`,
          { kind: 'managed', arn: READ_ONLY },
          'sso:PutPermissionsBoundaryToPermissionSet',
        ],
        ['/admin/ous', { parent: 'root', name: 'Elsewhere' }, 'organizations:CreateOrganizationalUnit'],
        [`/admin/ous/${ou}/rename`, { name: 'Renamed' }, 'organizations:UpdateOrganizationalUnit'],
        [`/admin/ous/${ou}/delete`, {}, 'organizations:DeleteOrganizationalUnit'],
        [`/admin/accounts/${WORKLOAD}/move`, { to: 'root' }, 'organizations:MoveAccount'],
      ];
    };

    it('refuses a form whose CSRF token is missing or wrong, and changes nothing', async () => {
      const before = await state();
      // In the browser: the page's token altered, then removed, before the form is sent.
      await page.goto(`${server.url}${psPath()}`);
      await page.evaluate(() => {
        document.querySelectorAll<HTMLInputElement>('input[name=_csrf]').forEach((input) => {
          input.value = 'x';
        });
      });
      await page.fill('#managed-arn', READ_ONLY);
      const wrong = await submitWithEnter('#managed-arn');
      assert.equal(wrong.status(), 403);
      assert.match((await page.locator('h1').textContent()) ?? '', /This form has expired/);
      await page.goto(`${server.url}${psPath()}`);
      await page.evaluate(() => {
        document.querySelectorAll('input[name=_csrf]').forEach((input) => {
          input.remove();
        });
      });
      await page.fill('#inline-policy', '{}');
      assert.equal((await clickButton('Save the inline policy')).status(), 403);
      // Every form, without a token and with another session's.
      for (const [action, fields] of await forms()) {
        assert.equal((await alice.post(action, fields, null)).status, 403, action);
        assert.equal((await alice.post(action, fields, bob.who?.csrf)).status, 403, action);
      }
      assert.deepEqual(await state(), before);
      assert.deepEqual(pageErrors, []);
    });

    it('offers a read-only administrator no control and refuses every change as the API action it is', async () => {
      const before = await state();
      // In bob's browser: the page has no editor; a form made up in the page, with his own valid
      // CSRF token, is refused as the sso-admin action and names it.
      const bobBrowser = await launchBrowser();
      try {
        const bobSession = await signIn(server.deps, await userIdOf('bob'));
        await bobBrowser.context.addCookies([
          { name: bobSession.cookieName, value: bobSession.token, url: server.url },
        ]);
        const bobPage = await bobBrowser.context.newPage();
        await bobPage.goto(`${server.url}${psPath()}`);
        assert.equal(await bobPage.locator('#inline-policy').count(), 0);
        assert.match((await bobPage.locator('#inline-policy-text').textContent()) ?? '', /logs:GetLogEvents/);
        const [refused] = await Promise.all([
          bobPage.waitForResponse((r) => r.request().method() === 'POST'),
          bobPage.waitForNavigation(),
          bobPage.evaluate((action) => {
            const form = document.createElement('form');
            form.method = 'post';
            form.action = action;
            for (const [name, value] of [
              ['_csrf', document.querySelector<HTMLInputElement>('input[name=_csrf]')?.value ?? ''],
              [
                'policy',
                '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
              ],
            ]) {
              const input = document.createElement('input');
              input.type = 'hidden';
              input.name = name ?? '';
              input.value = value ?? '';
              form.append(input);
            }
            document.body.append(form);
            form.submit();
          }, `${psPath()}/inline-policy`),
        ]);
        assert.equal(refused.status(), 403);
        assert.equal(await bobPage.locator('h1').textContent(), 'Not allowed');
        assert.match(
          (await bobPage.locator('main').textContent()) ?? '',
          /sso:PutInlinePolicyToPermissionSet/,
        );
      } finally {
        await bobBrowser.close();
      }
      assert.deepEqual(await state(), before);
      const psPage = await (await bob.get(psPath())).text();
      for (const control of [
        /Save the inline policy/,
        /Attach/,
        /Edit the definition/,
        /Set (a|the) boundary/,
        /Remove the inline policy/,
        />Detach/,
      ]) {
        assert.doesNotMatch(psPage, control);
      }
      assert.match(psPage, /logs:GetLogEvents/);
      const accounts = await (await bob.get('/admin/accounts?ou=root')).text();
      assert.doesNotMatch(accounts, /Create an OU/);
      assert.doesNotMatch(await (await bob.get(`/admin/accounts/${WORKLOAD}`)).text(), /Move account/);
      const bobId = await userIdOf('bob');
      const denied = await auditRows(server.deps, 'admin.access_denied');
      assert.deepEqual(
        denied.map((d) => [d.actor, d.target_id]),
        [[`user:${await userIdOf('bob')}`, 'PutInlinePolicyToPermissionSet']],
      );
      for (const [action, fields, iamAction] of await forms()) {
        const res = await bob.post(action, fields);
        assert.equal(res.status, 403, action);
        const body = await res.text();
        assert.match(body, /Not allowed/, action);
        assert.ok(body.includes(iamAction), `${action}: ${iamAction}`);
      }
      assert.deepEqual(await state(), before);
      const deniedNow = await auditRows(server.deps, 'admin.access_denied');
      assert.equal(deniedNow.length - denied.length, (await forms()).length);
      assert.ok(deniedNow.every((d) => d.actor === `user:${bobId}`));
    });

    it('audits every change with the administrator; apply --dry-run names them, and export writes them', async () => {
      const audit = await auditRows(server.deps, [
        'permission_set.update',
        'ou.create',
        'ou.update',
        'ou.delete',
        'account.update',
      ]);
      const byConsole = audit.filter((a) => a.actor !== 'cli:apply');
      assert.ok(
        byConsole.every(
          (a) => a.actor === `user:${aliceId}` && JSON.parse(a.detail ?? '{}').via === 'admin-console',
        ),
      );
      // Each kind of change once, in the order made: what changed is in the detail.
      assert.deepEqual(
        byConsole.map((a) => {
          const { via: _, ...what } = JSON.parse(a.detail ?? '{}');
          return `${a.action} ${Object.keys(what).join(',')}${what.changed ? ` ${what.changed.join(',')}` : ''}`;
        }),
        [
          'permission_set.update inline_policy',
          'permission_set.update attachManagedPolicy',
          'permission_set.update detachManagedPolicy',
          'permission_set.update changed sessionDuration',
          'permission_set.update changed description,relayState',
          'permission_set.update attachCustomerManagedPolicy',
          'permission_set.update detachCustomerManagedPolicy',
          'permission_set.update permissions_boundary',
          'permission_set.update permissions_boundary',
          'permission_set.update provisioned,version',
          'ou.create path',
          'ou.update from,to',
          'account.update from,to',
          'account.update from,to',
          'ou.delete path',
        ],
      );
      const file = path.join(server.config.dataDir, 'org.yaml');
      const dry = await idcenter([
        'apply',
        '-f',
        file,
        '--dry-run',
        '--database-url',
        server.config.databaseUrl,
      ]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /^! changed outside the file: permission set Developer updated \(.+\) by user:alice via admin-console at /m,
      );
      assert.match(dry.stdout, /^~ update permission set Developer/m);
      const exported = (await exportOrg(server.deps.ctx)).text;
      assert.match(exported, /logs:GetLogEvents/);
      assert.match(exported, /sessionDuration: PT4H/);
    });
  });
}
