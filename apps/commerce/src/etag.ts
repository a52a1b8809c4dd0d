import { Problems } from '@tandem/platform';

/** Strong validator of a product's version (docs/contract.md, "Catalog"). */
export function etagOf(version: number): string {
  return `"${version}"`;
}

/** RFC 9110 If-None-Match (weak comparison): does any listed tag match the current version? */
export function matchesIfNoneMatch(header: string | undefined, version: number): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(version));
}

/**
 * If-Match (strong comparison) → the version the client expects, `null` when absent or `*`.
 * A weak or malformed tag can never match a strong validator: 412.
 */
export function expectedVersion(header: string | undefined): number | null {
  if (header === undefined || header.trim() === '*') return null;
  const match = /^"(\d{1,9})"$/.exec(header.trim());
  if (!match) throw Problems.preconditionFailed('If-Match must be a strong ETag of this product, e.g. "3"');
  return Number(match[1]);
}
