// The interceptor as `npm run bench:lambda` (bench/lambda.ts) runs it under aws-lambda-ric: the built
// dist/index.mjs, with the time its handler took (as seen inside the runtime process) added to each
// answer, so the bench can tell the handler's own time from the runtime client's and the harness's.
import { handler as interceptor } from "../../../dist/index.mjs";

export const handler = async (event, context) => {
  const started = performance.now();
  const output = await interceptor(event, context);
  return { ...output, benchHandlerUs: (performance.now() - started) * 1000 };
};
