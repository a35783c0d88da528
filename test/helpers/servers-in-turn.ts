/**
 * Servers started one after another on the same store and data directory, as restarts are,
 * for tests of what a server accepts at start (credential keys), and role credentials vended in
 * process by one of them.
 */
import { vendRoleCredentials } from '../../src/app/credentials/vend.ts';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger, type RunningServer, startServer } from '../../src/http/server.ts';

/** Run `run` against a server on `store` with these credential keys ('' = the key file), then close it. */
export async function withServer<T>(
  store: { url: string; dataDir: string },
  credentialKeys: string,
  run: (s: RunningServer) => Promise<T>,
): Promise<T> {
  const config = loadConfig(
    {
      host: '127.0.0.1',
      port: '0',
      dataDir: store.dataDir,
      databaseUrl: store.url,
      credentialKeys,
      logLevel: 'silent',
    },
    {},
  );
  const server = await startServer(config, { logger: createLogger('silent') });
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

/** Role credentials for a user, as the portal vends them (no session or token family). */
export function mintRoleCredentials(
  s: RunningServer,
  user: { userId: string; userName: string },
  accountId: string,
  roleName: string,
) {
  return vendRoleCredentials(s.deps, {
    ...user,
    accountId,
    roleName,
    sessionId: null,
    familyId: null,
    sourceIp: '127.0.0.1',
    channel: 'portal',
  });
}
