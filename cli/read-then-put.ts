/**
 * A compile-time guard for a read-then-PUT update (AgentCore's Update* calls replace the whole
 * resource): every field the Get answer holds is either sent back (`Updatable`) or set by the service
 * (`ReadOnly`), and every field the Update request takes is sent back or names the resource (`Ids`).
 * `true` when that holds; otherwise the unclassified names, so `const x: ClassifiedFields<…> = true`
 * fails the type check until a field the SDK added is classified.
 */
export type ClassifiedFields<Got, Put, Updatable extends PropertyKey, ReadOnly extends PropertyKey, Ids extends PropertyKey> = [
  Exclude<keyof Got, Updatable | ReadOnly>,
  Exclude<keyof Put, Updatable | Ids>,
] extends [never, never]
  ? true
  : [unclassified: Exclude<keyof Got, Updatable | ReadOnly>, unsent: Exclude<keyof Put, Updatable | Ids>];

/** Copies each of `fields` the Get answer holds into the Update request (Object.assign keeps the request's type). */
export function copyDefined<F extends PropertyKey>(from: { readonly [K in F]?: unknown }, fields: readonly F[], into: object): void {
  for (const field of fields) if (from[field] !== undefined) Object.assign(into, { [field]: from[field] });
}
