/**
 * The store kinds every storage-dependent suite runs on: SQLite in a temp file and PostgreSQL
 * in a temp database. Use with `for (const kind of STORE_KINDS) describe(kind, …)`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTempDatabase } from './pg.ts';

export const STORE_KINDS = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

export interface TempStoreUrl {
  url: string;
  /** A temp directory for the data dir (keys, certificates), removed by cleanup. */
  dataDir: string;
  cleanup(): Promise<void>;
}

export async function tempStoreUrl(kind: StoreKind): Promise<TempStoreUrl> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'idcenter-test-'));
  if (kind === 'sqlite') {
    return {
      url: `sqlite:${path.join(dataDir, 'idcenter.db')}`,
      dataDir,
      async cleanup() {
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const db = await createTempDatabase();
  return {
    url: db.url,
    dataDir,
    async cleanup() {
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
