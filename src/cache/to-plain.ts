import { type GraphQLOutputType, getNullableType, isLeafType, isListType, isObjectType } from 'graphql';

/**
 * Turns a resolver's result into plain JSON guided by its GraphQL type, so that what is stored holds
 * exactly what the schema exposes: ORM entities lose their internals and hidden columns (a secret's
 * hash never reaches the cache), Dates become ISO strings, references keep what they carry (an
 * unloaded relation keeps its id, for the field resolver that loads it). The same plain value is
 * returned on a miss and on a hit, so both serialise byte-for-byte alike.
 */
export function toPlain(value: unknown, type: GraphQLOutputType, seen: WeakSet<object> = new WeakSet()): unknown {
  if (value === null || value === undefined) return null;
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    return Array.from(value as Iterable<unknown>, (item) => toPlain(item, nullable.ofType, seen));
  }
  if (isLeafType(nullable)) return leaf(value);
  if (typeof value !== 'object') return value;
  if (isObjectType(nullable)) {
    if (seen.has(value)) return null; // a cycle the schema could follow forever: not storable
    seen.add(value);
    const out: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(nullable.getFields())) {
      const v = (value as Record<string, unknown>)[name];
      if (v === undefined || typeof v === 'function') continue; // resolved by a field resolver instead
      out[name] = toPlain(v, field.type, seen);
    }
    seen.delete(value);
    return out;
  }
  // Interfaces and unions: the concrete type is only known at run time; keep what JSON keeps.
  return JSON.parse(JSON.stringify(value));
}

function leaf(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') return JSON.parse(JSON.stringify(value));
  return value;
}

/** For values that are not GraphQL results: a JSON round trip. */
export function jsonClone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
