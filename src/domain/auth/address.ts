/**
 * The source address a per-address budget counts against. An IPv4 address is itself (also when
 * written IPv4-mapped, `::ffff:192.0.2.1`); an IPv6 address counts as its /64, the block one
 * subscriber or host is given, so hopping between the addresses of one's own /64 does not buy a
 * fresh budget. Anything else (never expected from the socket or a trusted proxy) is used as it
 * is, cut to 64 characters.
 */
import { isIP } from 'node:net';

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail turned into two). */
function ipv6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array.from({ length: fill }, () => 0), ...tail];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : null;
}

export function addressBucket(address: string): string {
  const zoneless = address.split('%')[0] ?? address;
  const family = isIP(zoneless);
  if (family === 4) return zoneless;
  if (family === 6) {
    const groups = ipv6Groups(zoneless);
    if (groups) {
      const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
      if (mapped) {
        const [hi = 0, lo = 0] = groups.slice(6);
        return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
      }
      return `${groups
        .slice(0, 4)
        .map((g) => g.toString(16))
        .join(':')}::/64`;
    }
  }
  return address.slice(0, 64);
}
