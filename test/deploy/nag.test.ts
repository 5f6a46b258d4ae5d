import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, Stack, Validations } from "aws-cdk-lib";
import { GatewayCredentialProvider } from "aws-cdk-lib/aws-bedrockagentcore";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { IdentityInterceptor } from "../../cdk/identity-interceptor.js";
import { testTempDir } from "../support/temp.js";

/**
 * cdk-nag's AwsSolutions and Serverless packs (as CDK validation plugins) find nothing unacknowledged in
 * the example app's construct use (cdk/example/app.ts: its config, a new gateway, two MCP targets) and in
 * the existing-gateway route: what should be fixed is (tracing on), the rest is acknowledged with its
 * reason (cdk/nag.ts).
 */
beforeAll(() => {
  vi.stubEnv("CDK_VALIDATION", "false");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

const env = { account: "111122223333", region: "eu-west-1" };
const oauth = (name: string) =>
  GatewayCredentialProvider.fromOauthIdentityArn({
    providerArn: `arn:aws:bedrock-agentcore:eu-west-1:111122223333:token-vault/default/oauth2credentialprovider/${name}`,
    secretArn: `arn:aws:secretsmanager:eu-west-1:111122223333:secret:bedrock-agentcore-identity!default/oauth2/${name}-AbCdEf`,
    scopes: [`${name}/read`],
  });

it("the example app and the existing-gateway route have no unacknowledged AwsSolutions or Serverless finding", () => {
  const outdir = testTempDir("nag");
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  const configFile = fileURLToPath(new URL("../../cdk/example/interceptor.config.json", import.meta.url));
  const example = new IdentityInterceptor(new Stack(app, "Example", { env }), "Identity", { configFile, gatewayName: "identity-example" });
  for (const name of ["crm", "orders"]) {
    example.gateway?.addMcpServerTarget(name, {
      gatewayTargetName: name,
      endpoint: `https://${name}.example.com/mcp`,
      credentialProviderConfigurations: [oauth(name)],
    });
  }
  new IdentityInterceptor(new Stack(app, "Outside", { env }), "Identity", { configFile, existingGatewayId: "team-gw-abcdefghij" });
  new IdentityInterceptor(new Stack(app, "OutsideWithRole", { env }), "Identity", {
    configFile,
    existingGatewayId: "team-gw-abcdefghij",
    existingGatewayRoleArn: "arn:aws:iam::111122223333:role/team-gateway",
  });
  expect(() => app.synth()).not.toThrow();
  const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")) as { pluginReports: unknown[] };
  expect(report.pluginReports).toEqual([]);
});
