/**
 * README tables generated from the registries (tools, resources, prompts, settings), so
 * the documentation cannot drift from what the server offers. `npm run readme` rewrites
 * the block between the markers; test/readme.test.ts fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { SETTINGS } from '../src/config.js';
import { resources } from '../src/mcp/resources/index.js';
import { tools } from '../src/mcp/tools/index.js';

export const START = '<!-- tables:start -->';
export const END = '<!-- tables:end -->';
export const README = fileURLToPath(new URL('../README.md', import.meta.url));

const firstSentence = (s: string) => {
  // A sentence ends at . ! or ? followed by a capital (so "e.g. \"bank_data\"" does not end one).
  const m = /^(.+?[.!?])(\s+(?=[A-Z])|$)/s.exec(s.trim());
  return (m ? m[1]! : s).replace(/\s+/g, ' ').replace(/\|/g, '\\|');
};
// What a caller may omit: declared optional or defaulted. (Not "accepts undefined":
// z.unknown() does, yet the SDK's JSON schema lists such a field as required.)
const optional = (schema: z.ZodType) => {
  const optin = (schema as unknown as { _zod?: { optin?: string } })._zod?.optin;
  return optin === 'optional' || optin === 'defaulted';
};

export async function renderTables(): Promise<string> {
  const out: string[] = [];
  out.push('## Tools', '', '| tool | input | does | hints |', '| --- | --- | --- | --- |');
  for (const t of tools) {
    const input = Object.entries(t.input as Record<string, z.ZodType>)
      .map(([k, s]) => `\`${k}${optional(s) ? '?' : ''}\``)
      .join(', ');
    const hints = Object.entries(t.annotations as Record<string, unknown>)
      .filter(([k, v]) => k.endsWith('Hint') && v === true)
      .map(([k]) => k.replace('Hint', ''))
      .join(', ');
    out.push(`| \`${t.name}\` | ${input || '—'} | ${firstSentence(t.description)} | ${hints || '—'} |`);
  }
  out.push('', '## Resources', '', 'Subscribe to any of them to get `notifications/resources/updated` when the state behind it changes.', '');
  out.push('| URI | type | what |', '| --- | --- | --- |');
  for (const r of resources) out.push(`| \`${r.uriTemplate}\` | ${r.mimeType} | ${firstSentence(r.description)} |`);
  try {
    const { prompts } = (await import('../src/mcp/prompts/index.js' as string)) as { prompts: ReadonlyArray<{ name: string; description: string; args?: Record<string, unknown> }> };
    out.push('', '## Prompts', '', '| prompt | what |', '| --- | --- |');
    for (const p of prompts) out.push(`| \`${p.name}\` | ${firstSentence(p.description)} |`);
  } catch {
    // No prompts registry yet.
  }
  out.push('', '## Configuration', '', 'Environment variables; each is also a CLI flag (`--idle-timeout 2s`) and a key of the optional JSON file given by `--config` / `LONGHAUL_CONFIG`. Durations accept ISO 8601 (`P3D`, `PT15M`) and short forms (`3d`, `15m`, `90s`, `500ms`). A bad value stops start-up with a message naming the setting.', '');
  out.push('| env | flag | default | meaning |', '| --- | --- | --- | --- |');
  for (const [name, s] of Object.entries(SETTINGS)) {
    out.push(`| \`${s.env}\` | \`--${name}\` | ${s.default ? `\`${s.default}\`` : '—'} | ${s.doc.replace(/\|/g, '\\|')} |`);
  }
  return out.join('\n');
}

export function spliceTables(readme: string, tables: string): string {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return readme.slice(0, a + START.length) + '\n' + tables + '\n' + readme.slice(b);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const readme = readFileSync(README, 'utf8');
  writeFileSync(README, spliceTables(readme, await renderTables()));
  process.stderr.write('README.md tables regenerated\n');
}
