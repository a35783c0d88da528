import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessDeniedMessage } from './access-denied.ts';

const principalArn = 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_ReadOnly_0123456789abcdef/alice';
const resource = 'arn:aws:sso:::instance/ssoins-72230000aaaabbbb';
const action = 'sso:CreatePermissionSet';

describe('AccessDeniedException messages', () => {
  it('word each kind of denial as AWS does', () => {
    const say = (result: Parameters<typeof accessDeniedMessage>[0]['result']) =>
      accessDeniedMessage({ principalArn, action, resource, result });
    const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
    assert.equal(
      say({ decision: 'implicit-deny', deniedBy: 'identity-based policy' }),
      `${head} because no identity-based policy allows the ${action} action`,
    );
    assert.equal(
      say({ decision: 'explicit-deny', deniedBy: 'identity-based policy' }),
      `${head} with an explicit deny in an identity-based policy`,
    );
    assert.equal(
      say({ decision: 'implicit-deny', deniedBy: 'permissions boundary' }),
      `${head} because no permissions boundary allows the ${action} action`,
    );
    assert.equal(
      say({ decision: 'explicit-deny', deniedBy: 'permissions boundary' }),
      `${head} with an explicit deny in a permissions boundary`,
    );
    assert.equal(
      say({ decision: 'implicit-deny' }),
      `${head} because no identity-based policy allows the ${action} action`,
    );
  });

  it('leaves out "on resource" for an action without resource types', () => {
    assert.equal(
      accessDeniedMessage({
        principalArn,
        action: 'sso:ListInstances',
        resource: '*',
        result: { decision: 'implicit-deny', deniedBy: 'identity-based policy' },
      }),
      `User: ${principalArn} is not authorized to perform: sso:ListInstances because no identity-based policy allows the sso:ListInstances action`,
    );
  });

  it('refuses to word an allowed request', () => {
    assert.throws(() =>
      accessDeniedMessage({ principalArn, action, resource, result: { decision: 'allow' } }),
    );
  });
});
