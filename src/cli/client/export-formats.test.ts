import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { credentialEnv, EXPORT_FORMATS, formatCredentials, processJson } from './export-formats.ts';

const creds = {
  accessKeyId: 'ASIAMOCKMOCKMOCK0001',
  secretAccessKey: 'se/cr+et=',
  sessionToken: 'tok/en+==',
  expiration: Date.UTC(2026, 10, 28, 7, 27, 34),
  accountId: '111111111111',
};

/** Parse each format back the way its shell would see it. */
function parseBack(format: string, text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.trim().split('\n')) {
    let m: RegExpExecArray | null = null;
    if (format === 'env') m = /^export (\w+)=(.*)$/.exec(line);
    else if (format === 'env-no-export') m = /^(\w+)=(.*)$/.exec(line);
    else if (format === 'powershell') m = /^\$Env:(\w+)="(.*)"$/.exec(line);
    else if (format === 'windows-cmd') m = /^set (\w+)=(.*)$/.exec(line);
    else if (format === 'fish') m = /^set -gx (\w+) "(.*)"$/.exec(line);
    assert.ok(m, `${format}: unexpected line ${line}`);
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

describe('export formats', () => {
  it('process: the Version 1 JSON botocore reads, expiry in isoformat', () => {
    const text = formatCredentials(creds, 'process');
    assert.deepEqual(Object.keys(JSON.parse(text)), [
      'Version',
      'AccessKeyId',
      'SecretAccessKey',
      'SessionToken',
      'Expiration',
      'AccountId',
    ]);
    assert.equal(JSON.parse(text).Expiration, '2026-11-28T07:27:34+00:00');
    assert.equal(JSON.parse(processJson(creds)).Version, 1);
  });

  it('every shell format parses back to the same variables in the AWS order', () => {
    const expected = credentialEnv(creds);
    assert.deepEqual(Object.keys(expected), [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_CREDENTIAL_EXPIRATION',
    ]);
    for (const f of EXPORT_FORMATS) {
      if (f === 'process') continue;
      const back = parseBack(f, formatCredentials(creds, f));
      assert.deepEqual(back, expected, f);
      assert.deepEqual(Object.keys(back), Object.keys(expected), f);
    }
  });

  it('env output evaluated by sh gives the same values', () => {
    const script = `${formatCredentials(creds, 'env')}env | grep ^AWS_ | sort`;
    const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.equal(r.status, 0, r.stderr);
    const got = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    assert.deepEqual(got, credentialEnv(creds));
  });

  it('credentials only a non-AWS server accepts also carry its STS endpoint and the region', () => {
    const target = { stsEndpoint: 'http://127.0.0.1:7400', region: 'eu-west-1' };
    const expected = {
      ...credentialEnv(creds),
      AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:7400',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
    };
    for (const f of EXPORT_FORMATS) {
      if (f === 'process') continue;
      assert.deepEqual(parseBack(f, formatCredentials(creds, f, target)), expected, f);
    }
    // credential_process JSON has no place for them: the profile running it names its endpoints.
    assert.equal(formatCredentials(creds, 'process', target), formatCredentials(creds, 'process'));
  });

  it('omits the token and expiry lines when absent', () => {
    const text = formatCredentials({ accessKeyId: 'AKIA', secretAccessKey: 's' }, 'env');
    assert.equal(text, 'export AWS_ACCESS_KEY_ID=AKIA\nexport AWS_SECRET_ACCESS_KEY=s\n');
  });
});
