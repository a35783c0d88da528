/**
 * The admin APIs at scale, through boto3 (the same calls a script makes), on SQLite:
 *
 * - ListUsers with a `UserName` filter, and an unfiltered page of 100, on 50,000 users, side by
 *   side with `moto_server` answering the same boto3 calls on the same 50,000 users (target: at
 *   least 50 times moto's rate for the filtered call);
 * - CreateAccountAssignment throughput (each call authorised, written, audited, its role
 *   provisioned).
 *
 * Calls run one after another from one client, so each rate is the inverse of the latency a
 * script sees. The users are written straight into idcenter's store (a bulk insert) and created
 * through moto's API (it has no other way in), which takes a minute or two.
 */
import os from 'node:os';
import { uuid } from '../src/domain/ids.ts';
import { systemRandom } from '../src/domain/runtime.ts';
import {
  identityStoreId,
  instanceArn,
  roleCredentials,
  startAdminServer,
  WORKLOAD,
} from '../test/helpers/admin.ts';
import { startMoto } from '../test/helpers/moto.ts';
import { cleanAwsEnv, run, tempHome } from '../test/helpers/python.ts';
import { report } from './report.ts';

/** 50,000 as the target is set; smaller for a quick run on a busy machine. */
const USERS = Number(process.env.IDCENTER_BENCH_ADMIN_USERS ?? 50_000);
const CALLS = 200;
const ASSIGNMENTS = 200;

/** boto3 in a child process, with room for moto's minutes of seeding. */
const python = (script: string, args: string[], env: NodeJS.ProcessEnv) =>
  run('python3', ['-c', script, ...args], { env, timeoutMs: 40 * 60_000 });

const LIST_USERS = `
import json, sys, time, boto3
url, key, secret, token, store, calls, seed, size = sys.argv[1:9]
c = boto3.client('identitystore', region_name='us-east-1', endpoint_url=url, aws_access_key_id=key,
                 aws_secret_access_key=secret, aws_session_token=token)
if seed != '0':
    # moto takes users only through its API, and one at a time: parallel CreateUser calls make
    # its identitystore answer 500.
    for i in range(int(seed)):
        c.create_user(IdentityStoreId=store, UserName=f'user-{i:05d}', DisplayName=f'User {i}',
                      Name={'GivenName': 'User', 'FamilyName': str(i)})
def rate(f):
    f()
    t = time.perf_counter()
    for i in range(int(calls)):
        f(i)
    return int(calls) / (time.perf_counter() - t)
out = {}
out['filtered'] = rate(lambda i=0: c.list_users(IdentityStoreId=store, MaxResults=100,
    Filters=[{'AttributePath': 'UserName', 'AttributeValue': f'user-{(i * 7919) % int(size):05d}'}]))
out['page'] = rate(lambda i=0: c.list_users(IdentityStoreId=store, MaxResults=100))
out['found'] = len(c.list_users(IdentityStoreId=store, Filters=[{'AttributePath': 'UserName', 'AttributeValue': 'user-00042'}])['Users'])
print(json.dumps(out))
`;

const ASSIGN = `
import json, sys, time, boto3
url, key, secret, token, inst, ps, account, n, principals = sys.argv[1:10]
c = boto3.client('sso-admin', region_name='us-east-1', endpoint_url=url, aws_access_key_id=key,
                 aws_secret_access_key=secret, aws_session_token=token)
principals = json.loads(principals)
t = time.perf_counter()
for p in principals[: int(n)]:
    s = c.create_account_assignment(InstanceArn=inst, TargetId=account, TargetType='AWS_ACCOUNT', PermissionSetArn=ps,
                                    PrincipalType='USER', PrincipalId=p)['AccountAssignmentCreationStatus']
    assert s['Status'] == 'SUCCEEDED', s
print(json.dumps({'rate': int(n) / (time.perf_counter() - t)}))
`;

async function main(): Promise<void> {
  const server = await startAdminServer('sqlite');
  const moto = await startMoto();
  const { home, cleanup } = tempHome();
  try {
    const ctx = server.deps.ctx;
    const storeId = await identityStoreId(server);
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < USERS; i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(USERS, i + 500); j++) {
        const id = `${storeId.slice(2)}-${uuid(systemRandom)}`;
        ids.push(id);
        const userName = `user-${String(j).padStart(5, '0')}`;
        rows.push({
          id,
          user_name: userName,
          user_name_lower: userName,
          display_name: `User ${j}`,
          given_name: 'User',
          family_name: String(j),
          email: null,
          status: 'ENABLED',
          password_hash: null,
          external_id: null,
          created_at: now,
          updated_at: now,
          created_by: 'bench',
          updated_by: 'bench',
          custom_attributes: null,
        });
      }
      await ctx.store.db.insertInto('users').values(rows).execute();
    }
    const c = await roleCredentials(server, 'alice', 'Administrator');
    const env = cleanAwsEnv(home);
    const args = (url: string, store: string, seed: number) => [
      url,
      c.accessKeyId,
      c.secretAccessKey,
      c.sessionToken,
      store,
      String(CALLS),
      String(seed),
      String(USERS),
    ];
    const ours = await python(LIST_USERS, args(server.url, storeId, 0), env);
    if (ours.code !== 0) throw new Error(ours.stderr);
    const a = JSON.parse(ours.stdout) as { filtered: number; page: number; found: number };
    report({
      name: 'ListUsers filtered by UserName, 50,000 users (idcenter)',
      value: a.filtered,
      unit: 'calls/s',
      detail: { load: os.loadavg()[0]?.toFixed(2) },
    });
    report({
      name: 'ListUsers page of 100, 50,000 users (idcenter)',
      value: a.page,
      unit: 'calls/s',
      detail: { load: os.loadavg()[0]?.toFixed(2) },
    });
    const developer = await ctx.store.db
      .selectFrom('permission_sets')
      .select('id')
      .where('name_lower', '=', 'administrator')
      .executeTakeFirstOrThrow();
    const instance = await instanceArn(server);
    const assign = await python(
      ASSIGN,
      [
        server.url,
        c.accessKeyId,
        c.secretAccessKey,
        c.sessionToken,
        instance,
        `${instance.replace(':instance/', ':permissionSet/')}/${developer.id}`,
        WORKLOAD,
        String(ASSIGNMENTS),
        JSON.stringify(ids.slice(0, ASSIGNMENTS)),
      ],
      env,
    );
    if (assign.code !== 0) throw new Error(assign.stderr);
    report({
      name: 'CreateAccountAssignment, one client (idcenter, SQLite)',
      value: (JSON.parse(assign.stdout) as { rate: number }).rate,
      unit: 'calls/s',
      detail: { load: os.loadavg()[0]?.toFixed(2) },
    });
    const theirs = await python(LIST_USERS, args(moto.url, 'd-0123456789', USERS), {
      ...env,
      AWS_DEFAULT_REGION: 'us-east-1',
    });
    if (theirs.code !== 0) throw new Error(`moto: ${theirs.stderr || `exit ${theirs.code}`}`);
    const m = JSON.parse(theirs.stdout) as { filtered: number; page: number; found: number };
    report({
      name: 'ListUsers filtered by UserName, 50,000 users (moto)',
      value: m.filtered,
      unit: 'calls/s',
      detail: { load: os.loadavg()[0]?.toFixed(2) },
    });
    report({
      name: 'ListUsers filtered by UserName, idcenter / moto',
      value: a.filtered / m.filtered,
      unit: 'x',
      target: '>= 50',
      met: a.filtered >= 50 * m.filtered,
    });
    report({ name: 'ListUsers page of 100, 50,000 users (moto)', value: m.page, unit: 'calls/s' });
  } finally {
    cleanup();
    await moto.stop();
    await server.stop();
  }
}

await main();
