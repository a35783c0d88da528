/**
 * moto's server standing in for AWS STS and IAM: started on a free loopback port for a test
 * file, reset between tests, stopped by its PID. moto implements AssumeRoleWithSAML but checks no
 * signature, audience or trust; tests verify what idcenter signs with xmlsec1 themselves.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './server.ts';

export interface Moto {
  /** `http://127.0.0.1:<port>`: the STS and IAM endpoint override. */
  url: string;
  /** The moto_server process, for benchmarks that read its CPU time. */
  pid: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited (${child.exitCode}): ${output()}`);
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer within 30 s: ${output()}`);
}

/**
 * moto_server's own entry point, run after writing `count` users (`user-00000`…, as the
 * benchmarks name them) straight into moto's identitystore backend in the same process: moto
 * takes users through its API one at a time (its CreateUser checks each against every user), too
 * slowly for tens of thousands. The users are the ones its CreateUser would store for the same
 * call (GivenName `User`, FamilyName the number, DisplayName `User <n>`).
 */
const SEEDED_MOTO = `
import sys, uuid
from moto.core import DEFAULT_ACCOUNT_ID
from moto.identitystore.models import IdentityStoreData, Name, User, identitystore_backends
from moto.server import main
store_id, count, port = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stores = identitystore_backends[DEFAULT_ACCOUNT_ID]['us-east-1'].identity_stores
data = stores.setdefault(store_id, IdentityStoreData())
for i in range(count):
    uid = str(uuid.uuid4())
    data.users[uid] = User(uid, store_id, f'user-{i:05d}', Name.from_dict({'GivenName': 'User', 'FamilyName': str(i)}),
                           f'User {i}', None, None, None, None, None, None, None, None, None, None)
main(['-H', '127.0.0.1', '-p', port])
`;

/**
 * `managedPolicies`: load AWS's managed policies into moto's IAM (needed to attach
 * `arn:aws:iam::aws:policy/...`; it makes moto's first IAM call take seconds).
 */
export async function startMoto(
  options: {
    managedPolicies?: boolean;
    /** Users written into moto's identitystore (account 123456789012, us-east-1) before it serves. */
    identityStoreUsers?: { storeId: string; count: number };
  } = {},
): Promise<Moto> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const seed = options.identityStoreUsers;
  const [command, args] = seed
    ? ['python3', ['-c', SEEDED_MOTO, seed.storeId, String(seed.count), String(port)]]
    : ['moto_server', ['-H', '127.0.0.1', '-p', String(port)]];
  const child = spawn(command, args, {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: options.managedPolicies ? 'true' : 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  try {
    await waitUntilUp(url, child, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    pid: child.pid ?? -1,
    async reset() {
      await fetch(`${url}/moto-api/reset`, { method: 'POST' });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
