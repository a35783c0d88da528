import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigFile, ConfigParseError, sectionId, shlexSplit } from './config-file.ts';

/** What botocore makes of a config text: {profiles, sso_sessions, services} or {error}. */
function botocoreView(text: string): unknown {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idc-cfg-'));
  const file = path.join(dir, 'config');
  fs.writeFileSync(file, text);
  const script = `
import json, sys
from botocore.configloader import raw_config_parse, build_profile_map
try:
    m = build_profile_map(raw_config_parse(sys.argv[1]))
    print(json.dumps({k: m[k] for k in ('profiles', 'sso_sessions', 'services')}))
except Exception as e:
    print(json.dumps({'error': type(e).__name__}))
`;
  const r = spawnSync('python3', ['-c', script, file], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function ourView(text: string): unknown {
  let cfg: ConfigFile;
  try {
    cfg = ConfigFile.parse(text, 'config');
  } catch (err) {
    if (err instanceof ConfigParseError) return { error: 'ConfigParseError' };
    throw err;
  }
  const group = (kind: 'profile' | 'sso-session' | 'services') => {
    const out: Record<string, unknown> = {};
    for (const id of cfg.sections()) {
      if (id.kind === kind || (kind === 'profile' && id.kind === 'default')) {
        out[id.name] = cfg.get(id);
      }
    }
    return out;
  };
  return { profiles: group('profile'), sso_sessions: group('sso-session'), services: group('services') };
}

const SAMPLES: Record<string, string> = {
  typical: `# my config
[default]
region = us-east-1

[profile dev]
sso_session = my-sso
sso_account_id = 111111111111
sso_role_name = Admin
; a comment
region=eu-west-1
output : json

[sso-session my-sso]
sso_start_url = https://d-1234567890.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[services local]
sso =
  endpoint_url = http://127.0.0.1:7400
sso_oidc =
    endpoint_url = http://127.0.0.1:7400
    # inner comment
sts =
  endpoint_url = http://127.0.0.1:7400

[plugins]
foo = bar
`,
  quoting: `[profile "with space"]
Region = us-west-2
[profile 'single']
a = 1
[profile default]
b = 2
[profile a b c]
x = y
[profiles odd]
c = 3
`,
  continuation: `[profile x]
key = first
  second line
empty =
other = v
`,
  crlf: '[default]\r\nregion = us-east-1\r\n[profile a]\r\nx = 1',
  'no section': 'region = us-east-1\n[default]\n',
  'bad line': '[default]\nregion = us-east-1\nthis is not valid\n',
  'duplicate key': '[default]\nregion = a\nREGION = b\n',
  'duplicate section': '[profile a]\nx = 1\n[profile a]\ny = 2\n',
  'bad nested': '[services s]\nsts =\n  endpoint_url\n',
  'empty option': '[default]\n= value\n',
};

describe('config file: reads like botocore', () => {
  for (const [name, text] of Object.entries(SAMPLES)) {
    it(`agrees with botocore on "${name}"`, () => {
      assert.deepEqual(ourView(text), botocoreView(text));
    });
  }

  it('names the offending line', () => {
    const cases: [string, number, RegExp][] = [
      [
        SAMPLES['bad line'] as string,
        3,
        /expected "key = value" or a \[section\] header, found "this is not valid"/,
      ],
      [SAMPLES['no section'] as string, 1, /before any \[section\] header/],
      [SAMPLES['duplicate key'] as string, 3, /"region" is set twice in \[default\]/],
      [SAMPLES['duplicate section'] as string, 3, /section \[profile a\] appears twice/],
      [SAMPLES['bad nested'] as string, 3, /inside a nested block/],
      ['\ufeff[default]\n', 1, /byte-order mark/],
    ];
    for (const [text, line, re] of cases) {
      assert.throws(
        () => ConfigFile.parse(text, '/home/u/.aws/config'),
        (err: unknown) => {
          assert.ok(err instanceof ConfigParseError);
          assert.equal(err.line, line);
          assert.match(err.message, re);
          assert.match(err.message, new RegExp(`^/home/u/.aws/config, line ${line}: `));
          return true;
        },
      );
    }
  });

  it('splits section names like shlex', () => {
    assert.deepEqual(shlexSplit('profile "a b"'), ['profile', 'a b']);
    assert.deepEqual(shlexSplit(`profile 'it'"'"'s'`), ['profile', "it's"]);
    assert.equal(shlexSplit('profile "open'), undefined);
  });
});

describe('config file: writes like the AWS CLI', () => {
  it('round-trips text untouched', () => {
    for (const name of ['typical', 'quoting', 'continuation', 'crlf']) {
      const text = SAMPLES[name] as string;
      assert.equal(ConfigFile.parse(text, 'c').toString(), text);
    }
  });

  it('updates keys in place, appends new keys after the last option, keeps comments', () => {
    const text =
      '# top\n[profile dev]\nregion = us-east-1 \n# keep me\noutput = text\n\n# about prod\n[profile prod]\nregion = x\n';
    const cfg = ConfigFile.parse(text, 'c');
    cfg.set(sectionId.profile('dev'), { region: 'eu-west-1', sso_role_name: 'Admin', output: undefined });
    assert.equal(
      cfg.toString(),
      '# top\n[profile dev]\nregion = eu-west-1\n# keep me\noutput = text\nsso_role_name = Admin\n\n# about prod\n[profile prod]\nregion = x\n',
    );
  });

  it('matches keys case-insensitively so it never writes a duplicate botocore would refuse', () => {
    const cfg = ConfigFile.parse('[default]\nRegion = a\n', 'c');
    cfg.set(sectionId.profile('default'), { region: 'b' });
    assert.equal(cfg.toString(), '[default]\nRegion = b\n');
  });

  it('appends new sections without a blank line, like the AWS CLI', () => {
    const cfg = ConfigFile.parse('[default]\nregion = a\n', 'c');
    cfg.set(sectionId.profile('Admin-111111111111'), {
      sso_session: 'my-sso',
      sso_account_id: '111111111111',
    });
    cfg.set(sectionId.session('my-sso'), { sso_start_url: 'https://x/start', sso_region: 'us-east-1' });
    assert.equal(
      cfg.toString(),
      '[default]\nregion = a\n[profile Admin-111111111111]\nsso_session = my-sso\nsso_account_id = 111111111111\n' +
        '[sso-session my-sso]\nsso_start_url = https://x/start\nsso_region = us-east-1\n',
    );
  });

  it('ends a file that had no final newline before appending', () => {
    const cfg = ConfigFile.parse('[default]\nregion = a', 'c');
    cfg.set(sectionId.profile('b'), { region: 'c' });
    assert.equal(cfg.toString(), '[default]\nregion = a\n[profile b]\nregion = c\n');
    const empty = ConfigFile.empty('c');
    empty.set(sectionId.profile('default'), { region: 'x' });
    assert.equal(empty.toString(), '[default]\nregion = x\n');
  });

  it('writes and updates nested [services] blocks that botocore reads back', () => {
    const cfg = ConfigFile.empty('c');
    cfg.set(sectionId.services('local'), {
      sso: { endpoint_url: 'http://a' },
      sts: { endpoint_url: 'http://a' },
    });
    cfg.set(sectionId.services('local'), {
      sts: { endpoint_url: 'http://b' },
      sso_oidc: { endpoint_url: 'http://b' },
    });
    const text = cfg.toString();
    assert.equal(
      text,
      '[services local]\nsso =\n    endpoint_url = http://a\nsts =\n    endpoint_url = http://b\nsso_oidc =\n    endpoint_url = http://b\n',
    );
    assert.deepEqual((botocoreView(text) as { services: unknown }).services, {
      local: {
        sso: { endpoint_url: 'http://a' },
        sts: { endpoint_url: 'http://b' },
        sso_oidc: { endpoint_url: 'http://b' },
      },
    });
  });

  it('quotes names with whitespace and finds them again', () => {
    const cfg = ConfigFile.empty('c');
    cfg.set(sectionId.profile('my profile'), { region: 'a' });
    assert.equal(cfg.toString(), "[profile 'my profile']\nregion = a\n");
    const again = ConfigFile.parse(cfg.toString(), 'c');
    assert.deepEqual(again.get(sectionId.profile('my profile')), { region: 'a' });
  });

  it('removes a section and keeps the comment that introduces the next one', () => {
    const cfg = ConfigFile.parse(
      '[profile a]\nx = 1\n\n# about b\n[profile b]\ny = 2\n\n[profile c]\nz = 3\n',
      'c',
    );
    assert.equal(cfg.remove(sectionId.profile('b')), true);
    assert.equal(cfg.remove(sectionId.profile('nope')), false);
    assert.equal(cfg.toString(), '[profile a]\nx = 1\n\n# about b\n[profile c]\nz = 3\n');
  });

  it('refuses values with line breaks', () => {
    const cfg = ConfigFile.empty('c');
    assert.throws(() => cfg.set(sectionId.profile('a'), { region: 'a\nb' }), /line break/);
  });

  it('handles thousands of sections quickly', () => {
    const cfg = ConfigFile.empty('c');
    for (let i = 0; i < 5000; i++)
      cfg.set(sectionId.profile(`p${i}`), { sso_account_id: String(i), region: 'r' });
    const text = cfg.toString();
    const again = ConfigFile.parse(text, 'c');
    assert.equal(again.names('profile').length, 5000);
    assert.deepEqual(again.get(sectionId.profile('p4999')), { sso_account_id: '4999', region: 'r' });
  });
});
