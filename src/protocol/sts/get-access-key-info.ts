/**
 * STS GetAccessKeyInfo: the account an access key id belongs to. Our key ids carry the account
 * (see `app/credentials/seal.ts`), so any key id this server issued answers without a lookup.
 */
import { accountOfAccessKeyId } from '../../app/credentials/seal.ts';
import { xmlFields } from '../codecs/aws-query.ts';
import { STS_REQUEST_ERRORS as E, StsError } from './errors.ts';

export function getAccessKeyInfo(params: Map<string, string>): string {
  const id = params.get('AccessKeyId');
  if (id === undefined || id === '') {
    throw new StsError(E.missingParameter, 'The request must contain the parameter AccessKeyId');
  }
  // Model constraint: 16 to 128 word characters.
  if (!/^\w{16,128}$/.test(id)) {
    throw new StsError(
      E.validationError,
      "1 validation error detected: Value at 'accessKeyId' failed to satisfy constraint: Member must have length between 16 and 128 and satisfy regular expression pattern: [\\w]*",
    );
  }
  const account = accountOfAccessKeyId(id);
  if (account === null) {
    throw new StsError(E.validationError, `The access key ID ${id} was not issued by this server.`);
  }
  return xmlFields([['Account', account]]);
}
