import assert from 'node:assert/strict';
import fs from 'node:fs';
import { it } from 'node:test';
import { renderConfigDocs } from './docs.ts';

it('docs/configuration.md is generated from the current schema', () => {
  const onDisk = fs.readFileSync('docs/configuration.md', 'utf8');
  assert.equal(onDisk, renderConfigDocs(), 'run: node --import tsx scripts/gen-config-docs.ts');
});
