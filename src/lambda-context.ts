import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";

/** What an invocation without a full Lambda context (tests, other hosts) fills in: nothing that looks real. */
const BLANK: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: "",
  functionVersion: "",
  invokedFunctionArn: "",
  memoryLimitInMB: "",
  awsRequestId: "",
  logGroupName: "",
  logStreamName: "",
  getRemainingTimeInMillis: () => 0,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/**
 * Once per invocation: Powertools' `addContext`, so every log line of the invocation carries
 * `cold_start` (true on the first invocation of the execution environment only), `function_name` and
 * `function_request_id`. Costs one small object per invocation.
 */
export function addLambdaContext(logger: Logger, context: Partial<Context> | undefined): void {
  if (context === undefined) return;
  try {
    logger.addContext({ ...BLANK, ...context });
  } catch {
    // The handler never throws: a context that cannot be read only costs the log lines these fields.
  }
}
