// The floor of `npm run bench:lambda` (bench/lambda.ts): an empty handler whose first invocation
// fetches the interceptor's JWKS over the same TLS (what any function that verifies tokens pays), served
// by aws-lambda-ric exactly as the interceptor is. With BENCH_FLOOR_LINE_BYTES set, every invocation
// also writes one line of that many bytes to stdout (an audit line's write, without the code behind it).
import { get } from "node:https";

const bytes = Number(process.env.BENCH_FLOOR_LINE_BYTES ?? 0);
const line = bytes > 0 ? `${"x".repeat(bytes - 1)}\n` : undefined;
let fetched;

export const handler = async () => {
  fetched ??= new Promise((resolve, reject) => {
    get(process.env.BENCH_JWKS_URL ?? "", (res) => {
      res.resume();
      res.on("end", resolve);
    }).on("error", reject);
  });
  await fetched;
  if (line !== undefined) process.stdout.write(line);
  return {};
};
