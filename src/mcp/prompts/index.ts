import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { z } from 'zod';
import type { App } from '../../app.js';
import type { Caller } from '../../runtime/deps.js';
import type { McpContext } from '../context.js';
import { toMcpError } from '../errors.js';
import { completeInvestigationId } from '../resources/investigation.js';
import { compliancePrompt } from './compliance.js';
import { retrievalPrompt } from './retrieval.js';
import { supervisorPrompt } from './supervisor.js';

/**
 * One prompt: its name and description (model-facing, snapshotted) and the text it
 * builds for the caller. Every prompt takes an optional `investigationId` (completed
 * from the caller's recent investigations) that adds that investigation's context.
 */
export interface PromptDefinition {
  name: string;
  title: string;
  description: string;
  /** What the optional `investigationId` adds. */
  investigationIdDoc: string;
  text(caller: Caller, app: App, investigationId: string | null): Promise<string>;
}

/** Every prompt, in the order `prompts/list` shows them (DESIGN's names). */
export const prompts: readonly PromptDefinition[] = [supervisorPrompt, retrievalPrompt, compliancePrompt];

/** Registers the prompts; errors (an unknown id) become MCP errors. */
export function registerPrompts(server: McpServer, ctx: McpContext): void {
  const { app } = ctx;
  for (const p of prompts) {
    const investigationId = completable(z.string().optional().describe(p.investigationIdDoc), async (value) => {
      // Completion has no request `extra` in the SDK; the server scopes it (see context.ts).
      const caller = ctx.callerInScope();
      if (!caller) return [];
      try {
        return await completeInvestigationId(caller, value ?? '', app);
      } catch {
        return [];
      }
    });
    server.registerPrompt(p.name, { title: p.title, description: p.description, argsSchema: { investigationId } }, async (args, extra): Promise<GetPromptResult> => {
      try {
        const caller = ctx.resolveCaller(extra);
        const id = args.investigationId?.trim() || null;
        const text = await p.text(caller, app, id);
        return { description: p.description, messages: [{ role: 'user', content: { type: 'text', text } }] };
      } catch (e) {
        throw toMcpError(e, app.logger, `prompt ${p.name}`);
      }
    });
  }
}
