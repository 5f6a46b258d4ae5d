import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { BedrockAgentCoreControlClient } from "@aws-sdk/client-bedrock-agentcore-control";
import { attach, type Io } from "./attach.js";
import { checkConfigFile } from "./check-config.js";
import { JWKS_ALGORITHMS, jwks } from "./jwks.js";
import { packageFunction } from "./package.js";
import { buildReport, renderReport } from "./report.js";
import { syncTargets } from "./sync-targets.js";
import type { Config } from "../src/config/schema.js";

export const USAGE = `usage: agentcore-interceptor <command>

  check-config FILE
      validate an interceptor config offline; print each problem with its field path, or what each target receives
  attach --gateway ID --function-arn ARN [--config FILE] [--response] [--dry-run [--from-file GATEWAY.json]] [--force]
      GetGateway, then UpdateGateway re-sending every field read plus this interceptor
      (REQUEST, and RESPONSE with --response; passRequestHeaders on). Refuses, unless --force, to replace
      another function's interceptor or to drop members the service returned that this SDK does not model
  sync-targets --gateway ID --config FILE [--prune] [--dry-run [--from-file TARGETS.json]] [--force]
      set each target's allowedRequestHeaders to the headers the policy sends it (UpdateGatewayTarget);
      refuses, unless --force, to drop members the service returned that this SDK does not model
  package [--config FILE] [--out FILE]
      zip the prebuilt Lambda bundle (handler index.handler) into FILE (default function.zip); with --config,
      validate FILE and ship it in the zip as interceptor.config.json
  jwks (--secret-file FILE | --secret-arn ARN) [--algorithm ES256|RS256|EdDSA]
      print the public JWKS of the assertion signing secret, to host for assertion targets
  report [FILE]
      decisions by reason, by target and by caller, duration percentiles, first and last seen, from audit
      lines in FILE or on stdin (e.g. aws logs tail /aws/lambda/NAME --since 1h | agentcore-interceptor report)
  help
      this text

  --from-file (with --dry-run) answers from saved JSON, offline: GetGateway's answer for attach;
  {"targets": [GetGatewayTarget answers]} for sync-targets. It prints the exact request a live run sends.

  AWS settings come from the SDK's standard chain (AWS_REGION or --region, AWS_PROFILE, credentials,
  AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL).`;

export interface MainDeps extends Io {
  /** The lines of standard input (for `report` without FILE); default: process.stdin. */
  stdinLines?: () => AsyncIterable<string>;
  /** The control-plane client (tests point one at a loopback endpoint); default: the SDK's standard chain. */
  client?: (region: string | undefined) => Promise<BedrockAgentCoreControlClient>;
}

const defaultClient = async (region: string | undefined) => {
  const { BedrockAgentCoreControlClient } = await import("@aws-sdk/client-bedrock-agentcore-control");
  return new BedrockAgentCoreControlClient(region !== undefined ? { region } : {});
};

const stdinLines = (): AsyncIterable<string> => createInterface({ input: process.stdin, crlfDelay: Infinity });

/** Reads and validates a config file; prints its problems and returns undefined when it is not valid. */
function readConfig(file: string, io: Io): Config | undefined {
  const result = checkConfigFile(file);
  if (!result.ok) for (const line of result.lines) io.err(line);
  return result.config;
}

/** Runs one command; returns the process exit code (0 done, 1 refused, invalid or failed, 2 usage). */
export async function main(argv: readonly string[], deps: MainDeps): Promise<number> {
  try {
    return await run(argv, deps);
  } catch (err) {
    // An AWS error (access denied, not found, throttled) or a network failure: its name and message only.
    const e = err instanceof Error ? err : new Error(String(err));
    deps.err(`error: ${e.name}: ${e.message}`);
    return 1;
  }
}

async function run(argv: readonly string[], deps: MainDeps): Promise<number> {
  const [command, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      strict: true,
      options: {
        gateway: { type: "string" },
        "function-arn": { type: "string" },
        config: { type: "string" },
        region: { type: "string" },
        response: { type: "boolean", default: false },
        "dry-run": { type: "boolean", default: false },
        "from-file": { type: "string" },
        force: { type: "boolean", default: false },
        prune: { type: "boolean", default: false },
        out: { type: "string", default: "function.zip" },
        "secret-file": { type: "string" },
        "secret-arn": { type: "string" },
        algorithm: { type: "string", default: "ES256" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    deps.err(err instanceof Error ? err.message : String(err));
    deps.err(USAGE);
    return 2;
  }
  const { values, positionals } = parsed;
  const fromFile = values["from-file"];
  // --from-file: answers from a saved GetGateway / GetGatewayTarget JSON, offline (cli/offline.ts).
  const client = async () => {
    if (fromFile === undefined) return (deps.client ?? defaultClient)(values.region);
    const offline = await import("./offline.js");
    return offline.offlineClient(offline.readSaved(fromFile));
  };
  const usage = (problem: string) => {
    deps.err(problem);
    deps.err(USAGE);
    return 2;
  };

  if (values.help) {
    deps.out(USAGE);
    return 0;
  }
  switch (command) {
    case "check-config": {
      const file = positionals[0] ?? values.config;
      if (file === undefined) return usage("check-config: which FILE?");
      const result = checkConfigFile(file);
      for (const line of result.lines) (result.ok ? deps.out : deps.err)(line);
      return result.ok ? 0 : 1;
    }
    case "attach": {
      if (fromFile !== undefined && !values["dry-run"]) return usage("attach: --from-file works with --dry-run only");
      const gatewayId = values.gateway;
      const functionArn = values["function-arn"];
      if (gatewayId === undefined || functionArn === undefined) return usage("attach: --gateway and --function-arn are required");
      const config = values.config !== undefined ? readConfig(values.config, deps) : undefined;
      if (values.config !== undefined && config === undefined) return 1;
      return attach(
        await client(),
        { gatewayId, functionArn, response: values.response, force: values.force, dryRun: values["dry-run"], config },
        deps,
      );
    }
    case "sync-targets": {
      if (fromFile !== undefined && !values["dry-run"]) return usage("sync-targets: --from-file works with --dry-run only");
      const gatewayId = values.gateway;
      if (gatewayId === undefined || values.config === undefined) return usage("sync-targets: --gateway and --config are required");
      const config = readConfig(values.config, deps);
      if (config === undefined) return 1;
      return syncTargets(await client(), { gatewayId, config, dryRun: values["dry-run"], prune: values.prune, force: values.force }, deps);
    }
    case "report": {
      const file = positionals[0];
      let lines: string[];
      if (file !== undefined && file !== "-") {
        try {
          lines = readFileSync(file, "utf8").split("\n");
        } catch (err) {
          deps.err(`report: cannot read ${file} (${err instanceof Error && "code" in err ? String(err.code) : "read error"})`);
          return 1;
        }
      } else {
        lines = [];
        for await (const line of (deps.stdinLines ?? stdinLines)()) lines.push(line);
      }
      for (const line of renderReport(buildReport(lines))) deps.out(line);
      return 0;
    }
    case "package":
      return packageFunction({ configFile: values.config, out: values.out }, deps);
    case "jwks": {
      const algorithm = JWKS_ALGORITHMS.find((a) => a === values.algorithm);
      if (algorithm === undefined) return usage(`jwks: --algorithm must be one of ${JWKS_ALGORITHMS.join(", ")}`);
      const file = values["secret-file"];
      const arn = values["secret-arn"];
      if (file !== undefined && arn === undefined) return jwks({ secret: { file }, algorithm }, deps);
      if (arn !== undefined && file === undefined) return jwks({ secret: { arn }, algorithm }, deps);
      return usage("jwks: one of --secret-file and --secret-arn is required");
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      deps.out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      return usage(`unknown command: ${command}`);
  }
}
