import type { AgentCoreStub } from '../support/agentcore-stub/index.js';

/** The compliance agent the AgentCore end-to-end tests deploy on the stub. */
export const COMPLIANCE_ARN = 'arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/compliance_agent-AbCdEf1234';

/**
 * What the built server needs to reach AgentCore the way it would on AWS — the endpoint
 * override, the region and the default credential chain's environment variables — with
 * the compliance role bound to COMPLIANCE_ARN and one-second sweeps.
 */
export const agentCoreEnv = (stub: AgentCoreStub): Record<string, string> => ({
  LONGHAUL_ROLE_COMPLIANCE_AGENT_ARN: COMPLIANCE_ARN,
  AWS_ENDPOINT_URL_BEDROCK_AGENTCORE: stub.url,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLONGHAULTEST',
  AWS_SECRET_ACCESS_KEY: 'longhaul-test-secret',
  LONGHAUL_SWEEP_INTERVAL: '1s',
});
