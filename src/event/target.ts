import { TARGET_NAME } from "../config/schema.js";

/** The gateway's own tool, which belongs to no target (docs/agentcore-contract.md §5). */
export const SEARCH_TOOL = "x_amz_bedrock_agentcore_search";
export const MAX_TOOL_NAME = 256;

export type ToolRoute = { kind: "target"; target: string; tool: string } | { kind: "no-target" } | { kind: "invalid" };

/**
 * Splits `<target>___<tool>` on the first `___`, exactly and case-sensitively: no Unicode
 * normalisation, no URL decoding, no prefix matching (docs/security.md group I).
 */
export function routeTool(name: string): ToolRoute {
  if (name.length === 0 || name.length > MAX_TOOL_NAME) return { kind: "invalid" };
  if (name === SEARCH_TOOL) return { kind: "no-target" };
  const at = name.indexOf("___");
  if (at < 0) return { kind: "no-target" };
  const target = name.slice(0, at);
  const tool = name.slice(at + 3);
  if (!TARGET_NAME.test(target)) return { kind: "no-target" };
  if (tool === "") return { kind: "invalid" };
  return { kind: "target", target, tool };
}
