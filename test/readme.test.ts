import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, renderTables, spliceTables } from '../scripts/readme-tables.js';

describe('README', () => {
  const readme = readFileSync(README, 'utf8');
  it('starts with the two set-up commands', () => {
    const head = readme.split('\n').slice(0, 8).join('\n');
    expect(head).toContain('npm install && npm start');
    expect(head).toContain('npm test');
  });
  it('has tool, resource and configuration tables generated from the registries (run `npm run readme` after a change)', async () => {
    expect(spliceTables(readme, await renderTables())).toBe(readme);
  });
});
