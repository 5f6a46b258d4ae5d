import { type ChildProcess, fork } from "node:child_process";

/** Runs the built interceptor bundle in its own process (see lambda-host.mjs) and invokes it. */
export class LambdaHost {
  /** Every line the function wrote to stdout/stderr (its CloudWatch log). */
  readonly logs: string[] = [];
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, (r: { output?: unknown; error?: string }) => void>();
  private next = 0;
  /** Added to the function's clock (Date.now) for the next invocations; 0 = the real time. */
  clockOffsetMs = 0;

  constructor(
    private readonly bundlePath: string,
    private readonly env: Record<string, string>,
  ) {}

  async start(): Promise<this> {
    const child = fork(new URL("./lambda-host.mjs", import.meta.url).pathname, [], {
      env: { PATH: process.env.PATH ?? "", TZ: "UTC", INTERCEPTOR_BUNDLE: this.bundlePath, ...this.env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: [],
    });
    this.child = child;
    let buffered = "";
    const collect = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      this.logs.push(...lines.filter((l) => l !== ""));
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    child.on("message", (msg: { id?: number; output?: unknown; error?: string }) => {
      if (msg.id === undefined) return;
      this.pending.get(msg.id)?.(msg);
      this.pending.delete(msg.id);
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`lambda host exited during init (${code})`)));
    });
    return this;
  }

  /** The function's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  invoke(event: unknown): Promise<{ output?: unknown; error?: string }> {
    const id = ++this.next;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child!.send({ id, event, clockOffsetMs: this.clockOffsetMs });
    });
  }

  /** A new execution environment: the next invocation pays a cold start again. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  }
}
