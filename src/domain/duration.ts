/**
 * Durations in configuration, in command flags and in the organization file. Plain text rules
 * with no I/O, so they sit in `domain/`: permission sets check their session duration with them
 * and `config/` parses its settings with them.
 *
 * `parseDuration` accepts the short forms operators type (`90s`, `15m`, `8h`, `90d`, `1h30m`)
 * and ISO-8601 time durations (`PT1H`, `PT2H30M`, `P1D`). Returns whole seconds, or undefined.
 *
 * @example parseDuration('PT2H30M') // 9000
 */
export function parseDuration(raw: string): number | undefined {
  const s = raw.trim();
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(s);
  if (iso && s.length > 1 && !/T$/i.test(s)) {
    const [, d, h, m, sec] = iso;
    if (d === undefined && h === undefined && m === undefined && sec === undefined) return undefined;
    return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(sec ?? 0);
  }
  const short = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i.exec(s);
  if (short && s.length > 0) {
    const [, d, h, m, sec] = short;
    return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(sec ?? 0);
  }
  return undefined;
}

/**
 * ISO-8601 duration as permission sets carry it: `PT<h>H<m>M<s>S`, only the time part
 * (and `P<d>D`). Returns seconds or undefined when the text is not such a duration.
 *
 * @example parseIsoDuration('PT4H') // 14400
 */
export function parseIsoDuration(raw: string): number | undefined {
  if (!/^P/i.test(raw)) return undefined;
  return parseDuration(raw);
}

/** Seconds to the canonical ISO-8601 form AWS returns (`PT1H`, `PT2H30M`). */
export function formatIsoDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
}
