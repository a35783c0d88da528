/**
 * Every exception the portal API can emit is declared by the SSO service model that botocore
 * ships (data/sso/2019-06-10), except the two docs/wire-protocols.md ("Portal API") names as
 * unmodeled: ForbiddenException ("No access", which clients show by its code) and the generic
 * InternalServerException.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import zlib from 'node:zlib';

const UNMODELED = new Set(['ForbiddenException', 'InternalServerException']);

it('every portal exception is in the SSO service model or documented as unmodeled', () => {
  const botocore = execFileSync('python3', [
    '-c',
    'import botocore, os; print(os.path.dirname(botocore.__file__))',
  ])
    .toString()
    .trim();
  const model = JSON.parse(
    zlib.gunzipSync(fs.readFileSync(path.join(botocore, 'data/sso/2019-06-10/service-2.json.gz'))).toString(),
  ) as { shapes: Record<string, { exception?: boolean }> };
  const modeled = new Set(Object.entries(model.shapes).flatMap(([k, v]) => (v.exception ? [k] : [])));
  const dir = path.resolve('src/protocol/sso-portal');
  const emitted = new Set<string>();
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts')) continue;
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/'([A-Z]\w+Exception)'/g))
      emitted.add(m[1]!);
  }
  assert.ok(emitted.has('UnauthorizedException') && emitted.has('ForbiddenException'));
  for (const e of emitted)
    assert.ok(modeled.has(e) || UNMODELED.has(e), `${e} is neither modeled nor documented`);
});
