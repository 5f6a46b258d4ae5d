/** Bytes a cold start loads from an esbuild metafile (see bundle-size.mjs). */
export function coldStartBytes(
  metafile: { outputs: Record<string, { bytes: number; imports: { path: string; kind: string; external?: boolean }[] }> },
  file: string,
  seen?: Set<string>,
): number;
