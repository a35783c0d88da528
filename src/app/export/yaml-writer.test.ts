import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { parse } from 'yaml';
import { block, flow, scalar } from './yaml-writer.ts';

/** Strings YAML likes to read as something else, or to cut short. */
const TRICKY = [
  '',
  'plain',
  'yes',
  'No',
  'on',
  'null',
  '~',
  'true',
  '123',
  '011111111111',
  '0x1F',
  '1e3',
  '.5',
  '.inf',
  '-.inf',
  '.nan',
  '2012-10-17',
  '12:30',
  '-',
  '- a',
  'a: b',
  'a:b',
  'x:',
  'a #b',
  'a#b',
  'a,b',
  ' lead',
  'trail ',
  '*alias',
  '&anchor',
  '!tag',
  '%dir',
  '@at',
  '`tick',
  '"quoted"',
  "'single'",
  '{x}',
  '[x]',
  '?x',
  '| x',
  '> x',
  'multi\nline',
  'tab\there',
  'Zoë Ünïcode',
  'back\\slash',
  'arn:aws:iam::aws:policy/ReadOnlyAccess',
  's3:Get*',
  '*',
  '/Workloads/Prod',
  'https://console.aws.amazon.com/console/home?region=us-east-1#x',
  '\u2028',
];

describe('yaml-writer', () => {
  it('writes every string so that both YAML readers read it back as the same string', () => {
    for (const s of TRICKY) {
      const text = `k: ${scalar(s, false)}\nf: [${scalar(s)}, end]\nm: ${flow({ [s]: s })}\n`;
      for (const [reader, read] of [
        ['yaml', parse],
        ['js-yaml', load],
      ] as const) {
        const v = read(text) as { k: unknown; f: unknown[]; m: Record<string, unknown> };
        assert.equal(v.k, s, `${reader}: ${JSON.stringify(s)} in block context as ${scalar(s, false)}`);
        assert.deepEqual(v.f, [s, 'end'], `${reader}: ${JSON.stringify(s)} in a flow list`);
        assert.deepEqual(v.m, { [s]: s }, `${reader}: ${JSON.stringify(s)} as a flow key`);
      }
    }
  });

  it('writes nested policy documents in block style that read back equal', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:Get*', 'ec2:Describe*'], Resource: '*' },
        {
          Effect: 'Deny',
          NotAction: 'iam:*',
          Resource: ['*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    };
    const lines = block({ inlinePolicy: policy, empty: {}, none: [] }, 0);
    assert.ok(Array.isArray(lines));
    const text = `${lines.join('\n')}\n`;
    assert.deepEqual(parse(text), { inlinePolicy: policy, empty: {}, none: [] });
    assert.deepEqual(load(text), { inlinePolicy: policy, empty: {}, none: [] });
    assert.match(text, /^ {2}Statement:\n {4}- Effect: Allow\n {6}Action: \[s3:Get\*, ec2:Describe\*\]$/m);
  });
});
