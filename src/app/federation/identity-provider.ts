/**
 * This server as a SAML identity provider: its entity id, its signing keys and its metadata.
 * Built once where the server (or a command) is assembled and passed in. The keys load on first
 * use, so a server with only local accounts never generates one; a server given key files checks
 * them at start (`verify`), so a wrong or unreadable file stops it with the file named.
 */
import type { Config } from '../../config/schema.ts';
import { buildSamlMetadata } from '../../domain/federation/saml-metadata.ts';
import { loadSamlKeys, type SamlKeys } from './saml-keys.ts';

export interface SamlIdentityProvider {
  readonly entityId: string;
  keys(): Promise<SamlKeys>;
  /** The document `aws iam create-saml-provider --saml-metadata-document` takes. */
  metadata(): Promise<string>;
  /** Load and check the keys now when they are given as files; nothing to do otherwise. */
  verify(): Promise<void>;
}

type SamlConfig = Pick<
  Config,
  'dataDir' | 'publicUrl' | 'startUrl' | 'samlEntityId' | 'samlKeyFile' | 'samlCertFile' | 'samlNextCertFile'
>;

export function samlEntityId(config: Pick<Config, 'publicUrl' | 'samlEntityId'>): string {
  return config.samlEntityId || `${config.publicUrl}/saml/metadata`;
}

export function createSamlIdentityProvider(config: SamlConfig): SamlIdentityProvider {
  const entityId = samlEntityId(config);
  let loading: Promise<SamlKeys> | undefined;
  const keys = () => {
    loading ??= loadSamlKeys({
      dataDir: config.dataDir,
      keyFile: config.samlKeyFile || undefined,
      certFile: config.samlCertFile || undefined,
      nextCertFile: config.samlNextCertFile || undefined,
    });
    // A failure is reported to the caller, and the next caller tries again.
    loading.catch(() => {
      loading = undefined;
    });
    return loading;
  };
  return {
    entityId,
    keys,
    async metadata() {
      const { certificates } = await keys();
      return buildSamlMetadata({ entityId, certificates, signOnUrl: config.startUrl });
    },
    async verify() {
      if (config.samlKeyFile || config.samlNextCertFile) await keys();
    },
  };
}
