// src/policy/listing.ts still imports from here; this goes when it imports "../event/route.js".
export { routeTool, SEARCH_TOOL } from "./route.js";
