/** GraphQL IDs are strings; rows have positive integer ids. Anything else names no row. */
export function parseId(id: string | number | null | undefined): number | null {
  if (id === null || id === undefined) return null;
  const s = String(id);
  if (!/^[1-9]\d{0,15}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}
