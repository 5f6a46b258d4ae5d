/**
 * Lambda entry: AgentCore Gateway REQUEST interceptor. Config is read and validated once per
 * execution environment (src/config/startup.ts: validated before deployment when the `package` command
 * or the CDK construct shipped it); the JWKS, the assertion signing keys and the on-behalf-of client credentials
 * are loaded during init, which waits for them (bounded), because Lambda freezes the environment when
 * init ends: a load still under way then would finish only inside the first request
 * (docs/performance.md#cold-start-through-the-runtime-client).
 */
import { createHandler } from "./handler.js";
import { loadConfig } from "./config/startup.js";

/**
 * How long init waits for those loads at most. Init never fails because of them: a load that fails or
 * is still running after this is left to the first request that needs it (within its own deadline).
 */
const INIT_PREFETCH_BOUND_MS = 2_000;

let prefetched: Promise<void> = Promise.resolve();
export const handler = createHandler({
  config: await loadConfig(process.env, new URL(".", import.meta.url)),
  prefetchJwks: true,
  prefetched: (settled) => {
    prefetched = settled;
  },
});
await settledWithin(prefetched, INIT_PREFETCH_BOUND_MS);

export { createHandler } from "./handler.js";

/** Resolves when `work` settles or after `ms`, whichever comes first; never rejects, leaves no timer behind. */
function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Not unref'd: a load with no open handle left would otherwise end the process with the await unsettled.
  const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work.catch(() => undefined), bound]).finally(() => clearTimeout(timer));
}
