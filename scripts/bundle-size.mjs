// Bytes a cold start loads from an esbuild metafile: an entry and every chunk it imports statically
// (dynamically imported chunks, such as the AWS SDK's, load later and only when used).
export function coldStartBytes(metafile, file, seen = new Set()) {
  if (seen.has(file)) return 0;
  seen.add(file);
  const out = metafile.outputs[file];
  return (
    out.bytes +
    out.imports.filter((i) => i.kind === "import-statement" && !i.external).reduce((n, i) => n + coldStartBytes(metafile, i.path, seen), 0)
  );
}
