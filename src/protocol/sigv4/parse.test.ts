/** X-Amz-Date as the parser reads it: ISO 8601 basic format, whole seconds, a real date. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAmzDate } from './parse.ts';

describe('parseAmzDate', () => {
  it('reads a date in basic format', () => {
    assert.equal(parseAmzDate('20150830T123600Z'), Date.UTC(2015, 7, 30, 12, 36, 0));
    assert.equal(parseAmzDate('20240229T235959Z'), Date.UTC(2024, 1, 29, 23, 59, 59));
  });

  it('refuses other shapes and impossible days and hours', () => {
    for (const text of [
      '',
      '2015-08-30T12:36:00Z',
      '20150830T123600',
      '20150830T123600Zx',
      '20150830t123600Z',
      '2015083OT123600Z',
      '٢٠١٥٠٨٣٠T123600Z',
      '20150230T120000Z',
      '20230229T120000Z',
      '20151330T120000Z',
      '20150800T120000Z',
      '20150830T240000Z',
      '20150830T125960Z',
    ]) {
      assert.equal(parseAmzDate(text), null, text);
    }
  });
});
