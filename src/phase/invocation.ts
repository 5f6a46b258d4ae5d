import type { Logger } from "@aws-lambda-powertools/logger";
import type { Deadline } from "../deadline.js";
import type { Metrics } from "../metrics.js";
import type { Runtime } from "../runtime.js";

/** One invocation, as both phases see it. */
export interface Invocation {
  /** Undefined when the configuration is invalid: every request is then denied `config.invalid`. */
  runtime: Runtime | undefined;
  logger: Logger;
  /** The environment's metrics: the audit line carries them. */
  metrics: Metrics;
  /** Everything that may wait on I/O runs inside it. */
  deadline: Deadline;
  requestId: string | undefined;
  /** performance.now() when the invocation started. */
  started: number;
}
