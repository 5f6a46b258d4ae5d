import type { Context } from "aws-lambda";
import { type Clock, systemClock } from "./clock.js";
import { Deadline } from "./deadline.js";
import { addLambdaContext } from "./lambda-context.js";
import { createLogger } from "./log.js";
import { DEFAULT_METRICS, Metrics } from "./metrics.js";
import { requestPhase } from "./phase/request.js";
import { answerResponse, isResponsePhase } from "./phase/response-entry.js";
import type { InterceptorOutput } from "./respond/output.js";
import { type HandlerOptions, prepareRuntime } from "./runtime.js";

export type { HandlerOptions } from "./runtime.js";

export type InterceptorHandler = (event: unknown, context?: Partial<Context>) => Promise<InterceptorOutput>;

/**
 * Per-request ceiling for everything that may wait on I/O (JWKS, obo exchange, assertion signing keys),
 * inside the Lambda's own remaining time.
 */
const REQUEST_DEADLINE_MS = 5_000;

/**
 * The interceptor: the runtime is prepared once (per execution environment), then each invocation
 * goes to its phase. The same function serves the REQUEST and the RESPONSE interception points; an
 * event with a `gatewayResponse` is the RESPONSE phase. Never throws: every failure is a denial.
 */
export function createHandler(options: HandlerOptions): InterceptorHandler {
  const logger = options.logger ?? createLogger();
  // Configured targets name themselves in metrics; any other target is one bucket (src/metrics.ts).
  const targets = new Set(options.config.ok ? Object.keys(options.config.config.targets) : []);
  const metrics = new Metrics(options.metrics ?? options.config.metrics ?? DEFAULT_METRICS, targets);
  const runtime = prepareRuntime(options, logger, metrics);
  const clock: Clock = options.clock ?? systemClock;
  return async function handler(event, context) {
    const started = performance.now();
    addLambdaContext(logger, context);
    const invocation = {
      runtime,
      logger,
      metrics,
      deadline: Deadline.after(clock, deadlineFor(context)),
      requestId: context?.awsRequestId,
      started,
    };
    return isResponsePhase(event) ? answerResponse(event, invocation) : requestPhase(event, invocation);
  };
}

function deadlineFor(context: Partial<Context> | undefined): number {
  let remaining: unknown;
  try {
    remaining = context?.getRemainingTimeInMillis?.();
  } catch {
    remaining = undefined; // the handler never throws: fall back to the fixed ceiling
  }
  return typeof remaining === "number" ? Math.max(0, Math.min(REQUEST_DEADLINE_MS, remaining - 250)) : REQUEST_DEADLINE_MS;
}
