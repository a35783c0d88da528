/** The configuration reference, rendered from the schema (docs/configuration.md). */
import { settings } from './schema.ts';

export function renderConfigDocs(): string {
  const rows = Object.values(settings).map((s) => {
    const def =
      s.default === undefined
        ? `derived: \`${s.derived ?? ''}\``
        : s.default === ''
          ? '(empty)'
          : `\`${s.default}\``;
    const unit = s.unit ? ` (${s.unit})` : '';
    return `| \`${s.env}\` | \`${s.flag}\` | ${def} | ${s.description.replace(/\|/g, '\\|')}${unit} |`;
  });
  return `# Configuration reference

Generated from \`src/config/schema.ts\` by \`node --import tsx scripts/gen-config-docs.ts\`; do not edit by hand.

Every setting of \`idcenter server\` is a flag and an environment variable; a flag wins over the
variable, which wins over the default. Unknown \`IDCENTER_*\` variables and invalid values are
reported all at once at start, each naming the variable and flag, and the server exits with code 253.
Durations are written \`90s\`, \`15m\`, \`8h\`, \`90d\` or ISO-8601 (\`PT8H\`).

| Environment | Flag | Default | Meaning |
|---|---|---|---|
${rows.join('\n')}
`;
}
