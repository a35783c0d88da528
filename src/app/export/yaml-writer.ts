/**
 * Writing the organization file's YAML by hand, in the style of `examples/demo-org.yaml`: one
 * flow mapping per line for small entries (`- { id: "111111111111", name: Prod, … }`), block
 * mappings for users and permission sets, block YAML for policy documents. Hand-written rather
 * than `yaml`'s `stringify` so that 50,000 users take a fraction of a second and every entry keeps
 * the shape a person would write.
 *
 * Every string is written plain only when both readers of the file (`yaml` and js-yaml, YAML 1.2
 * core) read it back as the same string; otherwise it is a double-quoted JSON string, which is
 * valid YAML with the same escapes.
 */

/** A value the writer knows how to write. */
export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

/** Words YAML 1.1 or 1.2 reads as something other than text (booleans, null). */
const SPECIAL = /^(?:true|false|yes|no|on|off|y|n|null|~)$/i;
/** Text that starts like a number, a date or a YAML 1.2 special float. */
const NUMBERISH = /^[-+.]?(?:\d|\.(?:inf|nan)$)/i;
/** What may stay plain: a safe first character, then no `: `, ` #`, flow or quote characters. */
const PLAIN = /^[A-Za-z_/$^(][\w .@/:+=,$^()*<>'!?%&|\\-]*$/;

/**
 * A string as a YAML scalar: plain when that reads back the same, JSON-quoted otherwise. In a
 * flow collection (`inFlow`) a comma would end the scalar, so it is quoted there too.
 */
export function scalar(value: string, inFlow = true): string {
  if (
    value === '' ||
    !PLAIN.test(value) ||
    SPECIAL.test(value) ||
    NUMBERISH.test(value) ||
    value.endsWith(' ') ||
    value.endsWith(':') ||
    value.includes(': ') ||
    value.includes(' #') ||
    (inFlow && value.includes(','))
  ) {
    return JSON.stringify(value);
  }
  return value;
}

function leaf(value: YamlValue, inFlow: boolean): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return scalar(value, inFlow);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * A value on one line, in flow style: `{ a: 1, b: [x, y] }`.
 *
 * @example flow({ name: 'Dev', ous: ['/Workloads'] }) // '{ name: Dev, ous: [/Workloads] }'
 */
export function flow(value: YamlValue): string {
  const l = leaf(value, true);
  if (l !== undefined) return l;
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  const entries = Object.entries(value as Record<string, YamlValue>);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, v]) => `${scalar(k)}: ${flow(v)}`).join(', ')} }`;
}

/**
 * A value in block style, `indent` spaces deep: the lines to follow `key:`, or, for a scalar,
 * a list of scalars or an empty collection, the text that stays on the key's line.
 */
export function block(value: YamlValue, indent: number): string[] | string {
  const pad = ' '.repeat(indent);
  const l = leaf(value, false);
  if (l !== undefined) return l;
  if (Array.isArray(value)) {
    if (value.every((v) => leaf(v, true) !== undefined)) return flow(value);
    const out: string[] = [];
    for (const item of value) {
      const lines = block(item, indent + 2);
      if (typeof lines === 'string') out.push(`${pad}- ${lines}`);
      else {
        // A mapping item: its first key on the dash's line.
        out.push(`${pad}- ${(lines[0] ?? '').slice(indent + 2)}`);
        for (let i = 1; i < lines.length; i++) out.push(lines[i] as string);
      }
    }
    return out;
  }
  const entries = Object.entries(value as Record<string, YamlValue>);
  if (entries.length === 0) return '{}';
  const out: string[] = [];
  for (const [k, v] of entries) {
    const lines = block(v, indent + 2);
    if (typeof lines === 'string') out.push(`${pad}${scalar(k, false)}: ${lines}`);
    else {
      // One push per line: a list of 50,000 users is too many arguments for one call.
      out.push(`${pad}${scalar(k, false)}:`);
      for (const line of lines) out.push(line);
    }
  }
  return out;
}
