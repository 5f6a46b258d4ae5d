import type { Logger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { bearerToken } from "./auth/bearer.js";
import { JwksCache } from "./auth/jwks-cache.js";
import { httpsJwksFetcher, type JwksFetcher } from "./auth/jwks-fetch.js";
import { TokenVerifier, type UnverifiedNote, type VerifiedToken } from "./auth/verify.js";
import type { LoadedConfig } from "./config/load.js";
import type { Config } from "./config/schema.js";
import { envelopeKindOf, parseEnvelope } from "./event/envelope.js";
import { bestEffortId, readRequest, type RequestView } from "./event/request.js";
import { type AuditDetail, type AuditRecord, clean, createLogger, writeAudit } from "./log.js";
import { claimHeaders } from "./modes/claims.js";
import { forwardHeaders } from "./modes/forward.js";
import { decide, type Plan } from "./policy/decide.js";
import { ManagedHeaders } from "./policy/managed-headers.js";
import { allowOutput, denyOutput, type InterceptorOutput } from "./respond/output.js";
import { type Clock, systemClock } from "./clock.js";
import { Deadline } from "./deadline.js";
import { addLambdaContext } from "./lambda-context.js";
import { Denial, deny, errorClass } from "./errors.js";
import { oboHeaders } from "./modes/obo.js";
import { isResponsePhase, respondToResponse } from "./phase/response-entry.js";
import type { OboExchanger } from "./obo/exchanger.js";
import type { SecretFetcher } from "./obo/secrets.js";
import type { AssertionIssuer } from "./assertion/issuer.js";

export interface HandlerOptions {
  config: LoadedConfig;
  /** Replaces the HTTPS JWKS fetcher (tests, custom transports). */
  fetcher?: JwksFetcher;
  /** Extra CA certificates (PEM) trusted for JWKS fetches. */
  ca?: string;
  logger?: Logger;
  /** Start loading every issuer's JWKS (and the assertion signing keys) now, so the first request does not wait (cold start). */
  prefetchJwks?: boolean;
  /** Replaces the Secrets Manager reader (obo client credentials and assertion signing keys). */
  secretFetcher?: SecretFetcher;
  /** Added to the Secrets Manager client's configuration (endpoint, credentials, request handler). */
  secretsClientConfig?: Record<string, unknown>;
  /** The clock every time-based decision and deadline uses (tests move it instead of sleeping). */
  clock?: Clock;
}

export type InterceptorHandler = (event: unknown, context?: Partial<Context>) => Promise<InterceptorOutput>;

/**
 * Per-request ceiling for everything that may wait on I/O (JWKS, obo exchange, assertion signing keys),
 * inside the Lambda's own remaining time.
 */
const REQUEST_DEADLINE_MS = 5_000;

interface Runtime {
  config: Config;
  verifier: TokenVerifier;
  managed: ManagedHeaders;
  /** Present only when a target uses `obo`: loaded in its own chunk, started at init. */
  exchanger: Promise<OboExchanger> | undefined;
  /** Present only when a target uses `assertion`: loaded in its own chunk, started at init. */
  assertions: Promise<AssertionIssuer> | undefined;
}

export function createHandler(options: HandlerOptions): InterceptorHandler {
  const logger = options.logger ?? createLogger();
  let runtime: Runtime | undefined;
  if (!options.config.ok) {
    logger.error("configuration is invalid: every request will be denied (config.invalid)", { problems: options.config.problems });
  } else {
    try {
      runtime = buildRuntime(options.config.config, options, logger);
    } catch (err) {
      logger.error("configuration could not be prepared: every request will be denied (config.invalid)", { errorClass: errorClass(err) });
    }
  }
  let warnedNoHeaders = false;

  const clock = options.clock ?? systemClock;

  return async function handler(event, context) {
    const started = performance.now();
    const deadline = Deadline.after(clock, deadlineFor(context));
    addLambdaContext(logger, context);
    // RESPONSE phase (one Lambda attached at REQUEST and RESPONSE): its own module, its own audit line.
    if (isResponsePhase(event)) return respondToResponse(event, { runtime, logger, deadline, requestId: context?.awsRequestId, started });
    const kind = envelopeKindOf(event);
    const detail: AuditDetail = { envelope: kind };
    const audit: AuditRecord = { decision: "deny", reason: "internal.error", durationMs: 0, detail };
    if (context?.awsRequestId !== undefined) audit.requestId = context.awsRequestId;
    let id: RequestView["id"] = null;
    let output: InterceptorOutput;
    try {
      // The id first, so that every deny (config.invalid too) echoes it: MCP clients match replies by id.
      id = bestEffortId(event);
      if (runtime === undefined) deny("config.invalid");
      const parsed = parseEnvelope(event);
      if (parsed === undefined) deny("event.unsupported");
      const request = readRequest(parsed);
      id = request.id;
      describeRequest(audit, request);
      if (request.headers.isEmpty && !warnedNoHeaders) {
        warnedNoHeaders = true;
        logger.error("the gateway passed no request headers: set passRequestHeaders: true in the interceptor configuration");
      }
      let note: UnverifiedNote = {};
      let identity: VerifiedToken;
      try {
        const token = bearerToken(request.headers, request.path, runtime.config.maxAuthorizationBytes);
        const verification = runtime.verifier.verify(token);
        note = verification.note;
        detail.verifiedCache = verification.cache;
        // Without I/O (a cached verification, or the key set loaded and fresh) a value: no promise, no
        // timer. Otherwise the key set is fetched inside the request deadline.
        const result = verification.identity;
        identity = result instanceof Promise ? await deadline.race(result, "jwks.unavailable") : result;
      } finally {
        if (note.iss !== undefined) audit.iss = note.iss;
        if (note.kid !== undefined || note.alg !== undefined) audit.jwt = { kid: note.kid, alg: note.alg };
      }
      describeIdentity(audit, identity);
      if (runtime.managed.firstConflict(request.headers) !== undefined) deny("policy.client_header_conflict");
      const plan = decide(runtime.config, request.target, identity);
      const headers = await headersFor(plan, identity, runtime, deadline, audit, detail);
      audit.mode ??= plan.kind === "target" ? plan.config.mode : "none";
      detail.headersSet = Object.keys(headers);
      audit.decision = "allow";
      audit.reason = plan.kind === "target" ? `mode.${plan.config.mode}` : plan.why;
      output = allowOutput(request.envelope, headers, request.body);
    } catch (err) {
      const denial = err instanceof Denial ? err : new Denial("internal.error");
      if (!(err instanceof Denial)) audit.errorClass = errorClass(err);
      audit.decision = "deny";
      audit.reason = denial.reason;
      if (denial.detail.scope !== undefined) audit.scopesRequired = denial.detail.scope;
      output = denyOutput(kind, denial, {
        id,
        requestId: audit.requestId,
        resourceMetadataUrl: runtime?.config.resourceMetadataUrl,
      });
    }
    audit.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    try {
      writeAudit(logger, audit);
    } catch {
      // A failing log sink must not turn a decision into a thrown invocation.
    }
    return output;
  };
}

function buildRuntime(config: Config, options: HandlerOptions, logger: Logger): Runtime {
  const clock = options.clock ?? systemClock;
  const fetcher =
    options.fetcher ?? httpsJwksFetcher({ timeoutMs: config.jwks.timeoutMs, maxBytes: config.jwks.maxBytes, ca: options.ca }, clock);
  const jwks = new JwksCache(
    fetcher,
    config.jwks,
    {
      staleServed: (uri, age) => logger.warn("JWKS refresh failed; serving the cached key set", { jwksUri: uri, ageSeconds: age }),
      fetchFailed: (uri, why) => logger.warn("JWKS fetch failed", { jwksUri: uri, why }),
    },
    clock,
  );
  const verifier = new TokenVerifier(
    config,
    jwks,
    { weakKey: (issuer, kid, bits) => logger.error("IdP key below 2048 bits refused", { iss: issuer, kid: clean(kid), bits }) },
    clock,
  );
  if (options.prefetchJwks === true) for (const i of config.issuers) void jwks.prefetch(i.jwksUri);
  for (const [name, target] of Object.entries(config.targets)) {
    if (target.mode === "forward" && target.allowPassthrough === true && target.audience === undefined) {
      logger.warn("forward target passes tokens not issued for it (allowPassthrough); the MCP specification forbids token passthrough", {
        target: name,
      });
    }
  }
  const usesObo = Object.values(config.targets).some((t) => t.mode === "obo");
  const exchanger = usesObo ? import("./obo/runtime.js").then((m) => m.createExchanger(config, options, logger)) : undefined;
  // A failed chunk load surfaces on the first obo request as a deny, never as an unhandled rejection.
  exchanger?.catch(() => undefined);
  const signing = config.assertion;
  const assertions =
    signing !== undefined && Object.values(config.targets).some((t) => t.mode === "assertion")
      ? import("./assertion/runtime.js").then((m) => m.createAssertionIssuer(signing, options, logger))
      : undefined;
  assertions?.catch(() => undefined);
  return { config, verifier, managed: new ManagedHeaders(config), exchanger, assertions };
}

async function headersFor(
  plan: Plan,
  id: VerifiedToken,
  runtime: Runtime,
  deadline: Deadline,
  audit: AuditRecord,
  detail: AuditDetail,
): Promise<Record<string, string>> {
  if (plan.kind !== "target") return {};
  switch (plan.config.mode) {
    case "forward":
      return forwardHeaders(plan.config, id);
    case "claims":
      return claimHeaders(plan.config, id);
    case "none":
      return {};
    case "obo": {
      audit.mode = "obo";
      const { target, config } = plan;
      // Loaded at init whenever a target uses obo; its absence would be a configuration fault.
      const exchanger = runtime.exchanger ?? deny("config.invalid");
      const work = exchanger.then((e) => oboHeaders(target, config, id, e, deadline));
      const { headers, exchange } = await deadline.race(work, "obo.unavailable");
      detail.oboCache = exchange.cache;
      detail.oboLatencyMs = exchange.latencyMs;
      return headers;
    }
    case "assertion": {
      const { target, config } = plan;
      const issuer = (await runtime.assertions) ?? deny("config.invalid");
      // Signing keys loaded and fresh: no promise, no timer. Otherwise read them inside the deadline.
      const result =
        issuer.headersNow(target, config, id) ??
        (await deadline.race(issuer.headers(target, config, id, deadline), "assertion.unavailable"));
      detail.assertionCache = result.cache;
      return result.headers;
    }
  }
}

function describeRequest(audit: AuditRecord, request: RequestView): void {
  audit.method = request.method;
  audit.jsonrpcId = request.id;
  if (request.target !== undefined) audit.target = request.target;
  if (request.tool !== undefined) audit.tool = request.tool;
  else if (request.toolName !== undefined) audit.tool = request.toolName;
  if (request.prompt !== undefined) audit.prompt = request.prompt;
  const trace = request.headers.single("x-amzn-trace-id");
  if (typeof trace === "string") audit.traceId = trace;
}

function describeIdentity(audit: AuditRecord, id: VerifiedToken): void {
  audit.sub = id.sub;
  if (id.clientId !== undefined) audit.client_id = id.clientId;
  if (id.actor !== undefined) audit.actor = id.actor;
  audit.jwt = { kid: id.kid, alg: id.alg, jti: id.jti, exp: id.exp };
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
