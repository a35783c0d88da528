import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkConsoleDestination, consoleFormOrigins } from './console.ts';

describe('console sign-in destinations', () => {
  const ok = (value: string, partition: 'aws' | 'aws-us-gov' | 'aws-cn' = 'aws') => {
    const r = checkConsoleDestination(value, partition);
    assert.ok('url' in r, 'problem' in r ? r.problem : '');
    return r.url;
  };
  const refused = (value: string, partition: 'aws' | 'aws-us-gov' | 'aws-cn' = 'aws') => {
    const r = checkConsoleDestination(value, partition);
    assert.ok('problem' in r, `accepted ${value}`);
    return r.problem;
  };

  it('accepts the partition console host and its subdomains over https', () => {
    assert.equal(
      ok('https://console.aws.amazon.com/s3/home?region=us-east-1#'),
      'https://console.aws.amazon.com/s3/home?region=us-east-1#',
    );
    ok('https://us-west-2.console.aws.amazon.com/ec2/home');
    ok('https://S3.Console.AWS.Amazon.com/s3/buckets');
    ok('https://console.amazonaws-us-gov.com/', 'aws-us-gov');
    ok('https://console.amazonaws.cn/iam', 'aws-cn');
  });

  it('refuses other hosts, schemes, ports, credentials and look-alikes, naming the rule', () => {
    assert.match(refused('https://evil.example/console.aws.amazon.com'), /is on evil\.example/);
    assert.match(
      refused('https://console.aws.amazon.com.evil.example/'),
      /is on console\.aws\.amazon\.com\.evil/,
    );
    assert.match(refused('https://evilconsole.aws.amazon.com/'), /is on evilconsole/);
    assert.match(refused('http://console.aws.amazon.com/'), /uses http/);
    assert.match(refused('javascript:alert(1)'), /uses javascript/);
    assert.match(refused('https://console.aws.amazon.com:8443/'), /names a port/);
    assert.match(refused('https://a:b@console.aws.amazon.com/'), /user name or password/);
    assert.match(refused('/s3/home'), /not an absolute URL/);
    assert.match(refused('//console.aws.amazon.com/'), /not an absolute URL/);
    assert.match(refused(`https://console.aws.amazon.com/${'a'.repeat(2100)}`), /longer than 2048/);
    // Another partition's console is not this partition's.
    assert.match(
      refused('https://console.aws.amazon.com/', 'aws-cn'),
      /only https addresses on console\.amazonaws\.cn/,
    );
  });

  it('lets the form go to the sign-in endpoint and the console hosts it redirects to', () => {
    assert.deepEqual(consoleFormOrigins('https://signin.aws.amazon.com/saml', 'aws'), [
      'https://signin.aws.amazon.com',
      'https://console.aws.amazon.com',
      'https://*.console.aws.amazon.com',
    ]);
  });
});
