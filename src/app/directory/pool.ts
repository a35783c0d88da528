/**
 * The service account's connections to the directory, kept open between sign-ins: finding a
 * person's entry then costs one search instead of a TLS handshake, a probe and a bind. One pool
 * per server (made with the context, `memory.ts`), closed when the server stops.
 *
 * Only service-account connections are pooled: a person's bind runs on a connection of its own
 * (`bindAs`), closed right after, so their credentials never stay on a connection used again.
 */
import type { DirectorySettings } from '../../domain/identity/identity-source.ts';
import type { Clock } from '../../domain/runtime.ts';
import { type DirectoryConnection, DirectoryError, openServiceConnection } from './ldap.ts';

/** Idle connections kept; more run at once under load and are closed when done. */
const MAX_IDLE = 4;
/**
 * An idle connection older than this is closed rather than used: servers drop idle connections
 * on their own schedule (Active Directory after 15 minutes), and a pool that failed over to a
 * later URL goes back to the first one soon after it returns.
 */
const MAX_IDLE_MS = 60_000;

interface Idle {
  readonly conn: DirectoryConnection;
  readonly since: number;
}

export class DirectoryConnectionPool {
  private readonly clock: Clock;
  private idle: Idle[] = [];
  /** What the idle connections were opened with; other settings or password make new ones. */
  private key: string | undefined;
  private closed = false;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /**
   * Run `use` on a service-account connection: an idle one when there is one, else a new one
   * (to the first URL that answers). A reused connection that fails may have died while idle
   * (the directory restarted, a firewall dropped it): the idle ones are dropped and `use` runs
   * once more on a new connection.
   *
   * @throws DirectoryError when no server can be reached or the service account is refused
   */
  async withConnection<T>(
    settings: DirectorySettings,
    password: string,
    use: (conn: DirectoryConnection) => Promise<T>,
  ): Promise<T> {
    const key = keyOf(settings, password);
    const reused = this.take(key);
    if (reused) {
      try {
        const result = await use(reused);
        this.giveBack(key, reused);
        return result;
      } catch (err) {
        await reused.close();
        if (!(err instanceof DirectoryError)) throw err;
        await this.dropIdle();
      }
    }
    const fresh = await openServiceConnection(settings, password);
    try {
      const result = await use(fresh);
      this.giveBack(key, fresh);
      return result;
    } catch (err) {
      await fresh.close();
      throw err;
    }
  }

  /** Close every idle connection; connections in use are closed when given back. */
  async close(): Promise<void> {
    this.closed = true;
    await this.dropIdle();
  }

  /**
   * An idle connection opened with `key` that is still connected and bound as the service
   * account. ldapts reconnects a closed client on its own, unbound and (with StartTLS) in
   * clear text, so a connection that is no longer bound is never handed out.
   */
  private take(key: string): DirectoryConnection | undefined {
    if (key !== this.key) {
      void this.dropIdle();
      this.key = key;
      return undefined;
    }
    const now = this.clock.now();
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      if (entry.conn.client.isBound && now - entry.since < MAX_IDLE_MS) return entry.conn;
      void entry.conn.close();
    }
    return undefined;
  }

  private giveBack(key: string, conn: DirectoryConnection): void {
    if (this.closed || key !== this.key || this.idle.length >= MAX_IDLE || !conn.client.isBound) {
      void conn.close();
      return;
    }
    this.idle.push({ conn, since: this.clock.now() });
  }

  private async dropIdle(): Promise<void> {
    const idle = this.idle;
    this.idle = [];
    await Promise.all(idle.map((entry) => entry.conn.close()));
  }
}

/** The settings and password a connection was opened with, as one comparable string. */
function keyOf(settings: DirectorySettings, password: string): string {
  return JSON.stringify([
    settings.urls,
    settings.startTls,
    settings.allowPlainLdap,
    settings.caFile,
    settings.timeoutSeconds,
    settings.bindDn,
    password,
  ]);
}
