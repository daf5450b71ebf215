/**
 * A minimal MCP Apps host for the tests, run in Chromium: it puts the app's HTML in a
 * sandboxed iframe (scripts only, an opaque origin) and speaks the app bridge with
 * ext-apps' own AppBridge. It has no MCP client of its own: resource reads and tool
 * calls go to `window.hostCall`, which the test exposes and answers with the real SDK
 * client connected to the built server (as a chat host forwards them to the server).
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

interface HostInput {
  html: string;
  toolName: string;
  toolArguments: Record<string, unknown>;
  toolResult: Record<string, unknown>;
  theme: 'light' | 'dark';
  timeZone: string;
  width: number;
}

declare global {
  interface Window {
    hostCall(method: string, params: unknown): Promise<unknown>;
    startHost(input: HostInput): Promise<void>;
    setHostTheme(theme: 'light' | 'dark'): Promise<void>;
    hostLog: string[];
  }
}

window.hostLog = [];
let bridge: AppBridge | null = null;

window.startHost = async (input) => {
  const iframe = document.getElementById('app') as HTMLIFrameElement;
  iframe.style.width = `${input.width}px`;
  bridge = new AppBridge(
    null,
    { name: 'longhaul-test-host', version: '1.0.0' },
    { serverTools: {}, serverResources: {}, logging: {} },
    { hostContext: { theme: input.theme, timeZone: input.timeZone, locale: 'en-GB', displayMode: 'inline', containerDimensions: { width: input.width, maxHeight: 3000 } } },
  );
  bridge.onreadresource = async (params) => (await window.hostCall('resources/read', params)) as never;
  bridge.oncalltool = async (params) => (await window.hostCall('tools/call', params)) as never;
  bridge.onloggingmessage = (p) => void window.hostLog.push(JSON.stringify(p));
  bridge.onsizechange = ({ height }) => {
    if (typeof height === 'number') iframe.style.height = `${Math.min(height, 3000)}px`;
  };
  const b = bridge;
  bridge.oninitialized = () => {
    window.hostLog.push('initialized');
    void b.sendToolInput({ arguments: input.toolArguments });
    void b.sendToolResult(input.toolResult as never);
  };
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  iframe.srcdoc = input.html;
};

window.setHostTheme = async (theme) => {
  await bridge?.sendHostContextChange({ theme });
};
