/**
 * The flags of `idcenter server`, one per setting of the config schema. Under tsx this module
 * reads the schema; the bundle (scripts/build.mjs) replaces it with the same table as plain
 * data, so defining the command does not load zod and `idcenter --version` stays fast.
 */
import { settings } from '../../config/schema.ts';

export interface ServerFlag {
  /** Key in the config object, e.g. `publicUrl`; also the commander option name. */
  key: string;
  flag: string;
  env: string;
  description: string;
  default: string | undefined;
}

export const SERVER_FLAGS: readonly ServerFlag[] = Object.values(settings).map((s) => ({
  key: s.key,
  flag: s.flag,
  env: s.env,
  description: s.description,
  default: s.default,
}));
