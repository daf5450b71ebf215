import { RESOURCE_MIME_TYPE, RESOURCE_URI_META_KEY, registerAppResource } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { uiAsset } from './assets.js';

/** The investigation view as an MCP App (DESIGN's resource list). */
export const INVESTIGATION_APP_URI = 'ui://longhaul/investigation';

/**
 * The MCP Apps link a tool carries in `_meta` (ext-apps spec: `ui.resourceUri`, plus the
 * older flat `ui/resourceUri` key that registerAppTool also sets, for hosts that read it).
 * Hosts that render MCP Apps show the view beside the tool's result; others ignore it
 * and keep using the text and structuredContent, which do not change.
 */
export const investigationAppToolMeta = { ui: { resourceUri: INVESTIGATION_APP_URI }, [RESOURCE_URI_META_KEY]: INVESTIGATION_APP_URI } as const;

/**
 * The app's `_meta.ui`: no external domains at all (empty connect and resource lists:
 * the host's most restrictive CSP). The bundle is self-contained and reaches longhaul
 * only through the app bridge; its own document CSP allows just its inline script and
 * style by hash (scripts/build-ui.ts).
 */
const UI_META = { csp: { connectDomains: [] as string[], resourceDomains: [] as string[] }, prefersBorder: true };

/** Registers `ui://longhaul/investigation` (text/html;profile=mcp-app), the same document for every caller. */
export function registerInvestigationApp(server: McpServer): void {
  registerAppResource(
    server,
    'investigation-app',
    INVESTIGATION_APP_URI,
    {
      title: 'Investigation view',
      description:
        'The investigation view as an MCP App: timeline by day and actor, tasks, waits with a live countdown, compliance flags with citations, the filed report and inbox items. ' +
        'Shown by hosts that render MCP Apps beside get_investigation, resume_investigation and start_investigation.',
      mimeType: RESOURCE_MIME_TYPE,
      _meta: { ui: UI_META },
    },
    async (): Promise<ReadResourceResult> => ({
      contents: [{ uri: INVESTIGATION_APP_URI, mimeType: RESOURCE_MIME_TYPE, text: uiAsset('investigation-app.html').body, _meta: { ui: UI_META } }],
    }),
  );
}
