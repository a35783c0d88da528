// Writes docs/configuration.md from the settings schema (src/config/schema.ts).
// `node --import tsx scripts/gen-config-docs.ts` regenerates it; a test fails when it is stale.
import fs from 'node:fs';
import { renderConfigDocs } from '../src/config/docs.ts';

fs.writeFileSync('docs/configuration.md', renderConfigDocs());
console.log('wrote docs/configuration.md');
