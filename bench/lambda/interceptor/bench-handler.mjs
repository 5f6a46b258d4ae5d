// The interceptor as `npm run bench:lambda` (bench/lambda.ts) runs it under aws-lambda-ric: copied into
// a function root staged as the `package` command writes it (the bundle, interceptor.config.json and its
// validation record), it wraps that root's index.mjs and adds the time its handler took (as seen inside
// the runtime process) to each answer, so the bench can tell the handler's own time from the runtime
// client's and the harness's. Handler: `bench-handler.handler`.
import { handler as interceptor } from "./index.mjs";

export const handler = async (event, context) => {
  const started = performance.now();
  const output = await interceptor(event, context);
  return { ...output, benchHandlerUs: (performance.now() - started) * 1000 };
};
