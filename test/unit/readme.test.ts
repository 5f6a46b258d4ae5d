import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { DENIALS } from "../../src/respond/denials.js";
import { REASONS } from "../../src/respond/reasons.js";
import { parseConfig } from "../../src/config/load.js";
import {
  type BenchRun,
  BEGIN,
  END,
  LAMBDA_BEGIN,
  MEMORY_BEGIN,
  MEMORY_END,
  renderMemoryTable,
  LAMBDA_END,
  type LambdaRun,
  renderLambdaTable,
  renderPerfTable,
  withPerfTable,
} from "../../scripts/perf-table.js";

/**
 * The README, CONTRIBUTING.md and docs/ stay true to the code: every reason code of
 * src/respond/reasons.ts appears in docs/denials.md's table and in docs/security.md §0 and §4.2, in a
 * row whose HTTP status and JSON-RPC code are the ones src/respond/denials.ts gives it; every recipe in
 * recipes/ is shown verbatim in docs/identity-providers.md; the README stays a front door (under 400
 * lines, its minimal configuration loads as it is); the figures of docs/performance.md are the ones
 * scripts/perf-table.ts renders from the committed bench/last-run.json, and no other page states a
 * measured figure; every relative link resolves to a file in the repository (and, with a `#fragment`
 * into Markdown, to a heading there); no link points at a local file outside the repository (the only
 * absolute links are the public https pages the docs cite).
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");
const docs = [
  ...readdirSync(root)
    .filter((f) => f.endsWith(".md"))
    .sort(),
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

describe("README, CONTRIBUTING.md and docs/ against the code", () => {
  it("the pages this test reads are all there", () => {
    expect(docs).toEqual(
      expect.arrayContaining(["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs/denials.md", "docs/performance.md"]),
    );
  });

  it("docs/denials.md's Denials table names every reason code with its status and JSON-RPC code", () => {
    const result = checkTable(denialRows(section(read("docs/denials.md"), "Denials")));
    expect(result).toEqual({ missing: [], wrong: [] });
  });

  it("the README links to the denial table", () => {
    expect(linksOf(read("README.md"))).toContain("docs/denials.md");
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

  it("README.md is a front door: under 400 lines", () => {
    expect(read("README.md").split("\n").length).toBeLessThan(400);
  });

  it("the README's minimal configuration is valid JSON that the interceptor loads as it is", () => {
    const text = section(read("README.md"), "Minimal configuration");
    const json = /```json\n([\s\S]*?)```/.exec(text)?.[1];
    expect(json).toBeDefined();
    const loaded = parseConfig(JSON.parse(json ?? "null"));
    expect(loaded.ok ? [] : loaded.problems).toEqual([]);
  });

  it("every recipe in recipes/ is shown verbatim in docs/identity-providers.md", () => {
    const page = read("docs/identity-providers.md");
    const recipes = readdirSync(join(root, "recipes")).filter((f) => f.endsWith(".json"));
    expect(recipes.length).toBeGreaterThan(0);
    expect(recipes.filter((f) => !page.includes(read(`recipes/${f}`).trim()))).toEqual([]);
  });

  it("docs/performance.md shows exactly what scripts/perf-table.ts renders from bench/last-run.json", () => {
    const page = read("docs/performance.md");
    const run = JSON.parse(read("bench/last-run.json")) as BenchRun;
    expect(page.split(BEGIN).length).toBe(2);
    expect(page.split(END).length).toBe(2);
    expect(page).toBe(withPerfTable(page, renderPerfTable(run)));
  });

  it("docs/performance.md shows exactly what scripts/perf-table.ts renders from bench/last-lambda-run.json", () => {
    const page = read("docs/performance.md");
    const run = JSON.parse(read("bench/last-lambda-run.json")) as LambdaRun;
    expect(page.split(LAMBDA_BEGIN).length).toBe(2);
    expect(page.split(LAMBDA_END).length).toBe(2);
    expect(page).toBe(withPerfTable(page, renderLambdaTable(run), LAMBDA_BEGIN, LAMBDA_END));
  });

  it("the README's memory-size table is exactly what scripts/perf-table.ts renders from bench/last-lambda-run.json", () => {
    const page = read("README.md");
    const run = JSON.parse(read("bench/last-lambda-run.json")) as LambdaRun;
    expect(page.split(MEMORY_BEGIN).length).toBe(2);
    expect(page.split(MEMORY_END).length).toBe(2);
    expect(page).toBe(withPerfTable(page, renderMemoryTable(run), MEMORY_BEGIN, MEMORY_END));
    // One row per measured memory size.
    expect(
      renderMemoryTable(run)
        .split("\n")
        .filter((l) => /^\| [\d,]+ MB/.test(l)),
    ).toHaveLength(run.shares.length);
  });

  it("the perf check notices a changed figure", () => {
    const page = read("docs/performance.md");
    const run = JSON.parse(read("bench/last-run.json")) as BenchRun;
    const other = { ...run, rows: run.rows.map((row, i) => (i === 0 ? { ...row, medianUs: row.medianUs + 1 } : row)) };
    expect(withPerfTable(page, renderPerfTable(other))).not.toBe(page);
  });

  it.each(docs.filter((d) => d !== "docs/performance.md"))("%s states no measured figure (they live in docs/performance.md)", (path) => {
    const text = read(path);
    expect(text.match(/\d[\d.]*\s*µs|×\s*(?:the\s+)?floor/g) ?? []).toEqual([]);
    expect(text).not.toContain(BEGIN);
  });

  it("anchors follow GitHub's rule", () => {
    expect(anchorOf("10. Open points (the interceptor accepts both answers)")).toBe("10-open-points-the-interceptor-accepts-both-answers");
    expect(anchorOf("Signed identity assertion (`assertion`)")).toBe("signed-identity-assertion-assertion");
    expect(anchorOf("Module layout, and why")).toBe("module-layout-and-why");
  });
});
