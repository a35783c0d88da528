/**
 * The input shapes of the admin APIs, checked as the AWS services check them: a member of the
 * wrong JSON type is a SerializationException (the body cannot be read as the operation's
 * input); a value outside the model's length, range or pattern, a missing required member, a
 * union with other than one member set, is a ValidationException worded as AWS words them
 * ("1 validation error detected: Value at 'userName' failed to satisfy constraint: Member must
 * have length less than or equal to 128"). Members the model does not name are ignored, as the
 * services do. Patterns are the models' own, anchored at both ends.
 */

export type Shape =
  | { t: 'string'; min?: number; max?: number; pattern?: RegExp; enum?: readonly string[] }
  | { t: 'boolean' }
  | { t: 'integer'; min?: number; max?: number }
  | { t: 'timestamp' }
  | { t: 'document' }
  | { t: 'list'; member: Shape; min?: number; max?: number }
  | { t: 'map'; key: Shape; value: Shape; min?: number; max?: number }
  | {
      t: 'structure';
      members: Readonly<Record<string, Shape>>;
      required?: readonly string[];
      union?: boolean;
    };

/** The body is not the operation's input (wrong JSON types): SerializationException. */
export class SerializationProblem extends Error {}

/** A model constraint failed: ValidationException with this message. */
export class ValidationProblem extends Error {}

export const str = (min?: number, max?: number, pattern?: string): Extract<Shape, { t: 'string' }> => ({
  t: 'string',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
  ...(pattern !== undefined ? { pattern: new RegExp(`^(?:${pattern})$`, 'u') } : {}),
});
export const enumOf = (...values: string[]): Shape => ({ t: 'string', enum: values });
export const bool: Shape = { t: 'boolean' };
export const int = (min?: number, max?: number): Shape => ({
  t: 'integer',
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
export const doc: Shape = { t: 'document' };
export const list = (member: Shape, min?: number, max?: number): Shape => ({
  t: 'list',
  member,
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
export const map = (key: Shape, value: Shape, min?: number, max?: number): Shape => ({
  t: 'map',
  key,
  value,
  ...(min !== undefined ? { min } : {}),
  ...(max !== undefined ? { max } : {}),
});
export const struct = (
  members: Record<string, Shape>,
  required: readonly string[] = [],
): Extract<Shape, { t: 'structure' }> => ({ t: 'structure', members, required });
export const union = (members: Record<string, Shape>): Shape => ({ t: 'structure', members, union: true });

/** The member name in AWS's messages: first letter lower case (`userName`, `name.givenName`). */
function memberPath(path: string, name: string): string {
  const own = name.charAt(0).toLowerCase() + name.slice(1);
  return path === '' ? own : `${path}.${own}`;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}

/**
 * Check `value` against `shape`: the list of constraint failures (empty when it fits); throws
 * `SerializationProblem` for a member of the wrong JSON type.
 */
export function check(shape: Shape, value: unknown, path = ''): string[] {
  const at = path === '' ? 'input' : path;
  const problems: string[] = [];
  const fail = (constraint: string) =>
    problems.push(`Value at '${at}' failed to satisfy constraint: Member must ${constraint}`);
  switch (shape.t) {
    case 'string': {
      if (typeof value !== 'string')
        throw new SerializationProblem(`${at} must be a string, not ${typeName(value)}`);
      const length = [...value].length;
      if (shape.min !== undefined && length < shape.min)
        fail(`have length greater than or equal to ${shape.min}`);
      else if (shape.max !== undefined && length > shape.max)
        fail(`have length less than or equal to ${shape.max}`);
      else if (shape.pattern && !shape.pattern.test(value))
        fail(`satisfy regular expression pattern: ${shape.pattern.source.slice(4, -2)}`);
      if (shape.enum && !shape.enum.includes(value))
        fail(`satisfy enum value set: [${shape.enum.join(', ')}]`);
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean')
        throw new SerializationProblem(`${at} must be a boolean, not ${typeName(value)}`);
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw new SerializationProblem(`${at} must be an integer, not ${typeName(value)}`);
      if (shape.min !== undefined && value < shape.min)
        fail(`have value greater than or equal to ${shape.min}`);
      else if (shape.max !== undefined && value > shape.max)
        fail(`have value less than or equal to ${shape.max}`);
      break;
    case 'timestamp':
      if (typeof value !== 'number') throw new SerializationProblem(`${at} must be a timestamp`);
      break;
    case 'document':
      break;
    case 'list': {
      if (!Array.isArray(value))
        throw new SerializationProblem(`${at} must be a list, not ${typeName(value)}`);
      if (shape.min !== undefined && value.length < shape.min)
        fail(`have length greater than or equal to ${shape.min}`);
      else if (shape.max !== undefined && value.length > shape.max)
        fail(`have length less than or equal to ${shape.max}`);
      value.forEach((item, i) => {
        if (item === null) throw new SerializationProblem(`${at} must not hold null`);
        problems.push(...check(shape.member, item, `${at}.${i + 1}.member`.replace(/^input\./, '')));
      });
      break;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new SerializationProblem(`${at} must be a map, not ${typeName(value)}`);
      const entries = Object.entries(value);
      if (shape.min !== undefined && entries.length < shape.min)
        fail(`have length greater than or equal to ${shape.min}`);
      else if (shape.max !== undefined && entries.length > shape.max)
        fail(`have length less than or equal to ${shape.max}`);
      for (const [k, v] of entries) {
        problems.push(...check(shape.key, k, `${at}.key`.replace(/^input\./, '')));
        if (v === null) throw new SerializationProblem(`${at} must not hold null`);
        problems.push(...check(shape.value, v, `${at}.${k}`.replace(/^input\./, '')));
      }
      break;
    }
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new SerializationProblem(`${at} must be a structure, not ${typeName(value)}`);
      const o = value as Record<string, unknown>;
      let set = 0;
      for (const [name, member] of Object.entries(shape.members)) {
        const v = Object.hasOwn(o, name) ? o[name] : undefined;
        if (v === undefined || v === null) {
          if (shape.required?.includes(name)) {
            problems.push(
              `Value null at '${memberPath(path, name)}' failed to satisfy constraint: Member must not be null`,
            );
          }
          continue;
        }
        set++;
        problems.push(...check(member, v, memberPath(path, name)));
      }
      if (shape.union && set !== 1) {
        problems.push(
          `Value at '${at}' failed to satisfy constraint: Member must have exactly one member set`,
        );
      }
      break;
    }
  }
  return problems;
}

/** The input of an operation, or a problem thrown: SerializationProblem or ValidationProblem. */
export function readInput<T>(shape: Extract<Shape, { t: 'structure' }>, body: unknown): T {
  const problems = check(shape, body);
  if (problems.length > 0) {
    const n = problems.length;
    throw new ValidationProblem(
      `${n} validation error${n === 1 ? '' : 's'} detected: ${problems.slice(0, 10).join('; ')}`,
    );
  }
  return body as T;
}
