export function configFingerprint(root: string): string;
