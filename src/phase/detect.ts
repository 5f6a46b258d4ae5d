/**
 * Which phase an event belongs to, without loading the RESPONSE-phase code (a lazy chunk): a
 * RESPONSE-phase event has `gatewayResponse` present and not null under either envelope key. AWS's own
 * example tells the phases apart this way (agentcore-contract.md §1a); in the REQUEST phase the field
 * is absent or `null`.
 */
const present = (v: unknown) => v !== undefined && v !== null;
const field = (o: unknown, key: string): unknown => (typeof o === "object" && o !== null && Object.hasOwn(o, key) ? Reflect.get(o, key) : undefined);

export function isResponsePhase(event: unknown): boolean {
  return present(field(field(event, "mcp"), "gatewayResponse")) || present(field(field(event, "http"), "gatewayResponse"));
}

