import assert from 'node:assert/strict';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { canOpenBrowser, openableUrl, openBrowser, type Spawner } from './browser.ts';

interface Call {
  command: string;
  args: string[];
  options: SpawnOptions;
}

/** A spawner that records each call and reports the program as started. */
function recordingSpawner(calls: Call[]): Spawner {
  return (command, args, options) => {
    calls.push({ command, args, options });
    const child = new EventEmitter() as EventEmitter & { unref(): void };
    child.unref = () => {};
    setImmediate(() => child.emit('spawn'));
    return child as unknown as ChildProcess;
  };
}

/** URLs a server could send whose characters mean something to a shell (cmd.exe above all). */
const HOSTILE_URLS = [
  'http://127.0.0.1:7400/device?user_code=ABCD-EFGH&x=1|calc.exe',
  'https://idc.example.com/authorize?a=1&b=2^&c=3|whoami',
  'https://idc.example.com/device?q="&calc&"',
  "https://idc.example.com/x?a=%s&b=$&c=$'",
  'https://idc.example.com/x?a=1 & calc',
];

/** A PATH with an executable `xdg-open` in it (never run: the spawner is a fake). */
function pathWithXdgOpen(): { PATH: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-xdg-'));
  fs.writeFileSync(path.join(dir, 'xdg-open'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return { PATH: dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe('openBrowser', () => {
  const xdg = pathWithXdgOpen();
  after(() => xdg.cleanup());
  const platforms: Array<{ platform: NodeJS.Platform; env: NodeJS.ProcessEnv; command: string }> = [
    { platform: 'win32', env: {}, command: 'rundll32' },
    { platform: 'darwin', env: {}, command: 'open' },
    { platform: 'linux', env: { DISPLAY: ':0', PATH: xdg.PATH }, command: 'xdg-open' },
  ];

  for (const { platform, env, command } of platforms) {
    it(`on ${platform}, starts ${command} without a shell, the URL as one argument`, async () => {
      for (const url of HOSTILE_URLS) {
        const calls: Call[] = [];
        assert.equal(await openBrowser(url, env, { platform, spawner: recordingSpawner(calls) }), true);
        assert.equal(calls.length, 1);
        const call = calls[0]!;
        assert.equal(call.command, command, url);
        assert.notEqual(call.options.shell, true);
        assert.ok(!['cmd', 'cmd.exe', 'sh', 'bash', 'powershell'].includes(call.command));
        assert.ok(!call.args.some((a) => /^\/c$/i.test(a)), 'no cmd /c');
        assert.equal(call.args.at(-1), new URL(url).href, 'the whole URL is the last argument');
        assert.equal(
          call.args.filter((a) => a.includes('idc.example.com') || a.includes('127.0.0.1')).length,
          1,
        );
        // Characters that end an argument on a Windows command line are encoded by URL parsing.
        assert.doesNotMatch(call.args.at(-1)!, /[\s"<>]/);
      }
    });
  }
  it('on Windows, uses the URL protocol handler of url.dll', async () => {
    const calls: Call[] = [];
    await openBrowser(HOSTILE_URLS[0]!, {}, { platform: 'win32', spawner: recordingSpawner(calls) });
    assert.deepEqual(calls[0]!.args, ['url.dll,FileProtocolHandler', new URL(HOSTILE_URLS[0]!).href]);
  });

  it('puts the URL into BROWSER commands as one argument, replacement patterns left alone', async () => {
    const calls: Call[] = [];
    const url = HOSTILE_URLS[3]!;
    const env = { BROWSER: 'firefox --new-tab=%s:chromium' };
    assert.equal(await openBrowser(url, env, { platform: 'linux', spawner: recordingSpawner(calls) }), true);
    assert.deepEqual(calls[0], {
      command: 'firefox',
      args: [`--new-tab=${new URL(url).href}`],
      options: calls[0]!.options,
    });
    assert.notEqual(calls[0]!.options.shell, true);
  });

  it('opens nothing that is not an http(s) URL', async () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ms-settings:privacy',
      'vscode://command/x',
      'smb://evil.example/share',
      'https://aws.amazon.com@evil.example/',
      'https://user:pass@evil.example/',
      'not a url',
      '',
    ]) {
      const calls: Call[] = [];
      for (const platform of ['win32', 'darwin'] as const) {
        const spawner = recordingSpawner(calls);
        assert.equal(await openBrowser(url, {}, { platform, spawner }), false, url);
      }
      // BROWSER names a harmless program that exists everywhere, in case the URL got through.
      assert.equal(await openBrowser(url, { BROWSER: 'true' }, { spawner: recordingSpawner(calls) }), false);
      assert.equal(calls.length, 0, url);
      assert.equal(openableUrl(url), null, url);
    }
  });

  it('knows when there is no browser to open', () => {
    assert.equal(canOpenBrowser({}, { platform: 'linux' }), false);
    assert.equal(canOpenBrowser({ DISPLAY: ':0', PATH: xdg.PATH }, { platform: 'linux' }), true);
    assert.equal(canOpenBrowser({}, { platform: 'win32' }), true);
  });
});
