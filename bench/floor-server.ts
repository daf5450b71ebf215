/**
 * The floor: the least an MCP tool call over stdio can cost with this SDK — a minimal
 * `McpServer` answering one trivial tool. longhaul's figures are read against it.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const server = new McpServer({ name: 'floor', version: '1.0.0' });
server.registerTool(
  'echo',
  { description: 'Echoes its text.', inputSchema: { text: z.string().describe('Any text') }, outputSchema: { text: z.string().describe('The same text') } },
  async ({ text }) => ({ content: [{ type: 'text', text }], structuredContent: { text } }),
);
await server.connect(new StdioServerTransport());
