// A local stand-in for the AWS Lambda Node.js runtime: a separate process that imports the built
// bundle once (the cold start, with config from the environment as in Lambda) and answers
// invocations sent over IPC. Logs go to stdout, as the Lambda runtime sends them to CloudWatch.
// The function's clock can be moved per invocation (`clockOffsetMs`), so a test sees a token expire
// without sleeping: the interceptor's default clock reads Date.now().
const realNow = Date.now.bind(Date);
let clockOffsetMs = 0;
Date.now = () => realNow() + clockOffsetMs;
const bundle = process.env.INTERCEPTOR_BUNDLE;
const { handler } = await import(bundle);
let invocation = 0;

process.on("message", async (msg) => {
  clockOffsetMs = msg.clockOffsetMs ?? 0;
  const started = Date.now();
  const context = {
    awsRequestId: `local-${process.pid}-${++invocation}`,
    functionName: "identity-interceptor",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:identity-interceptor",
    memoryLimitInMB: "256",
    getRemainingTimeInMillis: () => Math.max(0, 10_000 - (Date.now() - started)),
  };
  try {
    const output = await handler(msg.event, context);
    process.send({ id: msg.id, output });
  } catch (err) {
    // The real runtime would report an invocation error; the gateway treats it as a failed interceptor.
    process.send({ id: msg.id, error: err instanceof Error ? err.name : "Error" });
  }
});
process.send({ ready: true });
