/**
 * The connections a server holds, counted per client address: one address may hold at most
 * `maxPerAddress` at once, so a single client cannot pile up enough stalled sockets to starve
 * everyone else (file descriptors, memory), whatever the timeouts (`buildApp`) let each one
 * live. A connection over the cap is reset at once, before anything is read from it.
 *
 * Counting happens on the raw TCP connection, before TLS and HTTP, so it covers connections
 * still in a TLS handshake and connections that never send a byte. The address is the socket's:
 * behind a reverse proxy that is the proxy's (see `IDCENTER_MAX_CONNECTIONS_PER_ADDRESS`).
 * The same record lets shutdown close whatever is still open when its deadline passes.
 */
import type { Server, Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge } from 'prom-client';
import type { Metrics } from './metrics.ts';

/** At most one warning about refused connections per this many milliseconds. */
const WARN_EVERY_MS = 60_000;

export interface ConnectionLimits {
  /** Most connections one client address may hold at once; 0 is no cap. */
  maxPerAddress: number;
  log: FastifyBaseLogger;
  metrics: Metrics;
}

export interface OpenConnections {
  /** Connections open now. */
  readonly size: number;
  /** Close every open connection at once; returns how many there were. */
  destroyAll(): number;
}

/** `::ffff:10.0.0.1` (an IPv4 client of a dual-stack listener) counts as `10.0.0.1`. */
function addressOf(socket: Socket): string | undefined {
  const address = socket.remoteAddress;
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * Count `server`'s connections per client address from now on, refusing those over the cap.
 *
 * @example const open = limitConnections(app.server, { maxPerAddress: 128, log, metrics });
 */
export function limitConnections(server: Server, limits: ConnectionLimits): OpenConnections {
  const sockets = new Set<Socket>();
  const perAddress = new Map<string, number>();
  const refused = new Counter({
    name: 'idcenter_http_connections_refused_total',
    help: 'Connections refused because their client address held the most allowed (IDCENTER_MAX_CONNECTIONS_PER_ADDRESS)',
    registers: [limits.metrics.registry],
  });
  new Gauge({
    name: 'idcenter_http_open_connections',
    help: 'Client connections open now',
    registers: [limits.metrics.registry],
    collect() {
      this.set(sockets.size);
    },
  });
  let lastWarning = 0;
  let refusedSinceWarning = 0;

  const refuse = (socket: Socket, address: string) => {
    refused.inc();
    refusedSinceWarning++;
    const now = Date.now();
    if (now - lastWarning >= WARN_EVERY_MS) {
      limits.log.warn(
        { remoteAddress: address, maxPerAddress: limits.maxPerAddress, refused: refusedSinceWarning },
        'connection refused: this address already holds the most connections allowed (IDCENTER_MAX_CONNECTIONS_PER_ADDRESS)',
      );
      lastWarning = now;
      refusedSinceWarning = 0;
    }
    // A reset rather than a close: the refused connection leaves nothing behind (no TIME_WAIT).
    socket.resetAndDestroy();
  };

  server.on('connection', (socket: Socket) => {
    const address = addressOf(socket);
    // No address: the client is already gone.
    if (address === undefined) return;
    const held = perAddress.get(address) ?? 0;
    if (limits.maxPerAddress > 0 && held >= limits.maxPerAddress) {
      refuse(socket, address);
      return;
    }
    perAddress.set(address, held + 1);
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });

  return {
    get size() {
      return sockets.size;
    },
    destroyAll() {
      const n = sockets.size;
      for (const socket of sockets) socket.destroy();
      return n;
    },
  };
}
