import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DENIALS } from "../../src/respond/denials.js";
import { REASONS } from "../../src/respond/reasons.js";

/**
 * The README and docs/ stay true to the code: every reason code of src/respond/reasons.ts appears in
 * the README's Denials table and in docs/security.md §0 and §4.2, in a row whose HTTP status and JSON-RPC
 * code are the ones src/respond/denials.ts gives it; every relative link resolves to a file in the
 * repository (and, with a `#fragment` into Markdown, to a heading there); no link points at a local file
 * outside the repository (the only absolute links are the public https pages the docs cite).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const docs = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The text from a heading line to the next heading of the same or a higher level. */
function section(text: string, heading: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith("#") && l.replace(/^#+\s*/, "") === heading);
  if (start < 0) throw new Error(`heading not found: ${heading}`);
  const level = /^#+/.exec(lines[start] ?? "")?.[0].length ?? 1;
  const end = lines.findIndex((l, i) => i > start && /^#+\s/.test(l) && (/^#+/.exec(l)?.[0].length ?? 0) <= level);
  return lines.slice(start, end < 0 ? undefined : end).join("\n");
}

interface Row {
  reasons: string[];
  status: number;
  code: number;
}

/** Table rows whose first cell names reasons in backticks and whose next cells are the HTTP status and JSON-RPC code. */
function denialRows(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("|")) continue;
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((c) => c.trim());
    const status = Number(cells[1]);
    const code = Number(/-?\d+/.exec(cells[2] ?? "")?.[0]);
    if (!Number.isInteger(status) || !Number.isInteger(code)) continue;
    const reasons = [...(cells[0] ?? "").matchAll(/`([a-z]+\.[a-z0-9_]+)`/g)].map((m) => m[1] ?? "");
    rows.push({ reasons, status, code });
  }
  return rows;
}

function checkTable(rows: Row[]): { missing: string[]; wrong: string[] } {
  const wrong: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const reason of row.reasons) {
      if (!(REASONS as readonly string[]).includes(reason)) continue;
      seen.add(reason);
      const spec = DENIALS[reason as keyof typeof DENIALS];
      if (spec.status !== row.status || spec.code !== row.code)
        wrong.push(`${reason}: table ${row.status}/${row.code}, code ${spec.status}/${spec.code}`);
    }
  }
  return { missing: REASONS.filter((r) => !seen.has(r)), wrong };
}

/** GitHub's heading anchors: lower case, punctuation dropped except `-` and `_`, spaces to `-`. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m === null) continue;
    const base = anchorOf(m[1] ?? "");
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Markdown links `[text](target)` outside code fences and inline code. */
function linksOf(text: string): string[] {
  const links: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, "``");
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) links.push(m[1] ?? "");
  }
  return links;
}

describe("README and docs/ against the code", () => {
  it("the README's Denials table names every reason code with its status and JSON-RPC code", () => {
    const result = checkTable(denialRows(section(read("README.md"), "Denials")));
    expect(result).toEqual({ missing: [], wrong: [] });
  });

  it("docs/security.md §4.2 names every reason code with its status and JSON-RPC code", () => {
    const result = checkTable(denialRows(section(read("docs/security.md"), "4.2 Denial table")));
    expect(result).toEqual({ missing: [], wrong: [] });
  });

  it("docs/security.md §0 lists every reason code", () => {
    const list = section(read("docs/security.md"), "0. Conventions used by the test catalogue");
    expect(REASONS.filter((r) => !list.includes(`\`${r}\``))).toEqual([]);
  });

  it("the table check notices a reason that is missing or has the wrong status", () => {
    const rows = denialRows("| `auth.missing` | 400 | -31001 | x | y |");
    const result = checkTable(rows);
    expect(result.wrong).toEqual(["auth.missing: table 400/-31001, code 401/-31001"]);
    expect(result.missing).toContain("internal.error");
  });

  it.each(docs)("every relative link in %s resolves to a file or heading in the repository", (path) => {
    const text = read(path);
    const broken: string[] = [];
    for (const link of linksOf(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // absolute: checked below
      const [file = "", fragment] = link.split("#", 2);
      const target = file === "" ? join(root, path) : resolve(dirname(join(root, path)), file);
      if (!target.startsWith(root) || !existsSync(target)) {
        broken.push(link);
        continue;
      }
      if (
        fragment !== undefined &&
        statSync(target).isFile() &&
        target.endsWith(".md") &&
        !anchorsOf(readFileSync(target, "utf8")).has(fragment)
      ) {
        broken.push(link);
      }
    }
    expect(broken).toEqual([]);
  });

  it.each(docs)("%s links to no local file outside the repository (only public https pages)", (path) => {
    const outside = linksOf(read(path)).filter((l) => {
      if (/^https:\/\//.test(l)) return false;
      if (/^[a-z][a-z0-9+.-]*:/i.test(l) || l.startsWith("/")) return true; // file:, http:, absolute paths
      const file = l.split("#", 1)[0] ?? "";
      return !resolve(dirname(join(root, path)), file).startsWith(root);
    });
    expect(outside).toEqual([]);
  });

  it.each(docs)("%s names no path of the machine it was written on", (path) => {
    expect(read(path).match(/(?:^|[\s(`"'])\/(?:work|home|tmp|Users)\/[^\s)`"']*/gm) ?? []).toEqual([]);
  });

  it("anchors follow GitHub's rule", () => {
    expect(anchorOf("10. Open points (the interceptor accepts both answers)")).toBe("10-open-points-the-interceptor-accepts-both-answers");
    expect(anchorOf("Signed identity assertion (`assertion`)")).toBe("signed-identity-assertion-assertion");
    expect(anchorOf("Module layout, and why")).toBe("module-layout-and-why");
  });
});
