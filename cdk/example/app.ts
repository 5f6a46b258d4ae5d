// Example CDK app: a new AgentCore gateway with the identity interceptor and two MCP server targets.
//   npm run cdk:synth                      synthesise offline into cdk.out/ (no AWS account needed)
//   npx aws-cdk deploy                     deploy it (cdk.json points at this file; needs npm run build first)
// Replace the endpoints, credential provider ARNs and the config with yours.
import { App, Stack } from "aws-cdk-lib";
import { GatewayCredentialProvider } from "aws-cdk-lib/aws-bedrockagentcore";
import { fileURLToPath } from "node:url";
import { IdentityInterceptor } from "../identity-interceptor.js";

// validateAgainstDefaultRules: a CloudFormation schema violation found by CDK's built-in validation fails
// the synth (by default aws-cdk-lib downgrades it to a warning).
const app = new App({
  outdir: process.env.CDK_OUTDIR ?? "cdk.out",
  context: { "@aws-cdk/core:validateAgainstDefaultRules": true },
});
const stack = new Stack(app, "AgentCoreIdentityInterceptorExample", {
  ...(process.env.CDK_DEFAULT_ACCOUNT !== undefined && process.env.CDK_DEFAULT_REGION !== undefined
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});

const interceptor = new IdentityInterceptor(stack, "Identity", {
  configFile: fileURLToPath(new URL("./interceptor.config.json", import.meta.url)),
  gatewayName: "identity-example",
});

const oauth = (name: string) =>
  GatewayCredentialProvider.fromOauthIdentityArn({
    providerArn: `arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/oauth2credentialprovider/${name}`,
    secretArn: `arn:aws:secretsmanager:eu-west-1:111122223333:secret:bedrock-agentcore-identity!default/oauth2/${name}-AbCdEf`,
    scopes: [`${name}/read`],
  });
// Target names are the policy's keys: the construct sets each claims target's header allowlist.
const gateway = interceptor.gateway;
if (gateway === undefined) throw new Error("a new gateway was asked for");
gateway.addMcpServerTarget("Crm", {
  gatewayTargetName: "crm",
  endpoint: "https://crm.example.com/mcp",
  credentialProviderConfigurations: [oauth("crm")],
});
gateway.addMcpServerTarget("Orders", {
  gatewayTargetName: "orders",
  endpoint: "https://orders.example.com/mcp",
  credentialProviderConfigurations: [oauth("orders")],
});

const assembly = app.synth();
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const s of assembly.stacks) console.log(`synthesised ${s.stackName}: ${assembly.directory}/${s.templateFile}`);
  for (const [target, headers] of interceptor.allowlists) console.log(`  target ${target}: allowedRequestHeaders ${headers.join(", ")}`);
  for (const m of assembly.stacks.flatMap((s) => s.messages)) {
    if (m.level !== "info") console.log(`  ${m.level}: ${m.id}: ${String(m.entry.data)}`);
  }
}
