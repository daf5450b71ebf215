import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, tempDir } from './harness.js';

/**
 * The MCP Inspector's CLI mode (@modelcontextprotocol/inspector-cli 1.0.3, a dev
 * dependency) against the built server over stdio: an independent client.
 */
const INSPECTOR = fileURLToPath(new URL('../../node_modules/@modelcontextprotocol/inspector-cli/build/cli.js', import.meta.url));
// inspector-cli 1.0.3 looks for "../package.json" relative to its working directory
// before importing its own; run it from a directory where that path exists.
const CWD = fileURLToPath(new URL('../../dist/', import.meta.url));

describe('MCP Inspector CLI against `longhaul serve`', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const inspect = (...args: string[]) => {
    const r = spawnSync(process.execPath, [INSPECTOR, '--cli', process.execPath, CLI, 'serve', ...args], {
      cwd: CWD,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LONGHAUL_DATA_DIR: tmp.dir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('lists the tools', () => {
    const names = inspect('--method', 'tools/list').tools.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['start_investigation', 'delegate_task', 'submit_signal', 'resume_investigation', 'get_investigation', 'list_investigations', 'record_event', 'close_investigation']));
  });

  it('lists the resource templates', () => {
    const uris = inspect('--method', 'resources/templates/list').resourceTemplates.map((t: { uriTemplate: string }) => t.uriTemplate);
    expect(uris).toEqual(expect.arrayContaining(['longhaul://investigations/{investigationId}', 'longhaul://investigations/{investigationId}/timeline', 'longhaul://sessions/{sessionId}', 'longhaul://sessions/{sessionId}/events']));
  });

  it('starts an investigation that a second run can read back', () => {
    const r = inspect('--method', 'tools/call', '--tool-name', 'start_investigation', '--tool-arg', 'subject=TechCorp', '--tool-arg', 'objective=Check onboarding risk');
    expect(r.isError).toBeFalsy();
    const id = r.structuredContent.investigation.investigationId;
    expect(id).toMatch(/^inv_/);
    const listed = inspect('--method', 'tools/call', '--tool-name', 'list_investigations');
    expect(listed.structuredContent.investigations.map((i: { investigationId: string }) => i.investigationId)).toContain(id);
  });
});
