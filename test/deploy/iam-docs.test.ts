import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as kms from "aws-cdk-lib/aws-kms";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { IdentityInterceptor } from "../../cdk/identity-interceptor.js";
import { checkConfigFile } from "../../cli/check-config.js";
import { fileTempDir } from "../support/temp.js";

/**
 * docs/iam/*.json, the policies the command-line route (docs/deploy.md) tells you to create: valid JSON,
 * and the function's permissions are what check-config says it needs and what the construct grants.
 */
beforeAll(() => {
  vi.stubEnv("CDK_VALIDATION", "false");
});
afterAll(() => {
  vi.unstubAllEnvs();
});

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
const doc = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../docs/iam/${name}`, import.meta.url), "utf8")) as { Version: string; Statement: Statement[] };
const actions = (s: Statement) => [s.Action].flat();

const SECRET = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:obo-AbCdEf";
const config = {
  issuers: [{ issuer: "https://login.acme.example", jwksUri: "https://login.acme.example/jwks.json", audience: ["mcp-gateway"] }],
  targets: {
    erp: {
      mode: "obo",
      obo: {
        grant: "token-exchange",
        tokenEndpoint: "https://login.acme.example/token",
        clientId: "gw",
        clientSecretArn: SECRET,
        audience: "erp",
      },
    },
  },
};
const dir = fileTempDir("iam-docs");

describe("docs/iam", () => {
  it("the trust policy lets Lambda assume the role, nothing else", () => {
    expect(doc("trust-policy.json")).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
    });
  });

  it("the permissions are check-config's list and the construct's grants: logs, the secrets, decrypt through Secrets Manager", () => {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify(config));
    const check = checkConfigFile(file);
    expect(check.ok).toBe(true);
    expect(check.lines).toContain("secrets the function reads (secretsmanager:GetSecretValue):");
    expect(check.lines).toContain(`  ${SECRET}`);

    const stack = new Stack(new App(), "Iam", { env: { account: "111122223333", region: "eu-west-1" } });
    // The command-line route creates the function without X-Ray tracing (the construct's `tracing`, on by default).
    const interceptor = new IdentityInterceptor(stack, "Identity", { config, secretsKey: new kms.Key(stack, "Key"), tracing: false });
    const roleId = stack.getLogicalId(interceptor.role.node.defaultChild as never);
    const granted = Object.values(Template.fromStack(stack).findResources("AWS::IAM::Policy"))
      .map((p) => p as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } })
      .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const shape = (s: Statement) => ({
      actions: actions(s).sort(),
      condition: s.Condition === undefined ? undefined : Object.keys(s.Condition.StringEquals ?? {}),
    });
    const documented = doc("permissions-policy.json").Statement;
    expect(documented.map(shape)).toEqual(granted.map(shape));
    expect(documented.every((s) => s.Effect === "Allow")).toBe(true);
    expect(documented.find((s) => s.Sid === "ReadSecrets")?.Resource).toEqual(["SECRET_ARN_FROM_CHECK_CONFIG"]);
  });

  it("the gateway role may invoke the alias only", () => {
    expect(doc("gateway-invoke-policy.json").Statement).toEqual([
      {
        Sid: "InvokeTheInterceptorAlias",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: "arn:aws:lambda:REGION:ACCOUNT:function:identity-interceptor:live",
      },
    ]);
  });
});
