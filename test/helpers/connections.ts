/**
 * Raw TCP clients for tests of slow clients and shutdown: a connection that sends exactly the
 * bytes it is told, when it is told, and reports everything it got back once it closes.
 */
import net from 'node:net';

export interface RawConnection {
  readonly socket: net.Socket;
  /** Send more bytes (the rest of a body, say). */
  send(text: string): void;
  /**
   * Once the server has sent `text` (`100 Continue` to a request with `Expect: 100-continue`
   * tells that node:http has handed it to the server's handlers: it is in flight).
   */
  receives(text: string): Promise<void>;
  /** Once the connection has closed: what the server sent, and the socket error if any. */
  readonly ended: Promise<{ received: string; error: string | undefined }>;
}

/**
 * Connect to 127.0.0.1:`port` (from `localAddress`, any of 127.0.0.0/8 on Linux) and send
 * `first`; resolves once connected.
 */
export function rawConnection(
  port: number,
  first: string,
  localAddress = '127.0.0.1',
): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    let received = '';
    let error: string | undefined;
    const waiting = new Set<() => void>();
    socket.on('data', (d: Buffer) => {
      received += d.toString();
      for (const check of waiting) check();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code;
    });
    const ended = new Promise<{ received: string; error: string | undefined }>((done) =>
      socket.once('close', () => done({ received, error })),
    );
    socket.once('error', reject);
    socket.once('connect', () => {
      if (first !== '') socket.write(first);
      const receives = (text: string) =>
        new Promise<void>((done, fail) => {
          const check = () => {
            if (!received.includes(text)) return;
            waiting.delete(check);
            done();
          };
          waiting.add(check);
          check();
          socket.once('close', () => fail(new Error(`connection closed before "${text}" came: ${received}`)));
        });
      resolve({ socket, send: (text) => socket.write(text), receives, ended });
    });
  });
}

/** `promise`, or a failure naming `what` once `ms` have passed: the bound that proves "does not hang". */
export function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
