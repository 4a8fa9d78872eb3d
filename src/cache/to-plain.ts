import {
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNullableType,
  isLeafType,
  isListType,
  isObjectType,
} from 'graphql';

/**
 * Turns a resolver's result into plain JSON guided by its GraphQL type, so that what is stored holds
 * exactly what the schema exposes: ORM entities lose their internals and hidden columns (a secret's
 * hash never reaches the cache), Dates become ISO strings, references keep what they carry (an
 * unloaded relation keeps its id, for the field resolver that loads it). The same plain value is
 * returned on a miss and on a hit, so both serialise byte-for-byte alike.
 *
 * Every miss of a cached resolver runs it over the whole result (a page of 50 users with their keys is
 * 550 objects), so each output type is compiled once into a converter that knows its fields: no field
 * map is listed and no type is unwrapped per value. Objects and lists come out frozen, as they are
 * built: the memory store, which hands stored values out by reference, then has nothing left to freeze.
 */
export function toPlain(value: unknown, type: GraphQLOutputType): unknown {
  return converterFor(type)(value, []);
}

/** Converts one value of a type; `path` holds the objects being converted above it (cycle detection). */
type Converter = (value: unknown, path: object[]) => unknown;

const converters = new WeakMap<GraphQLOutputType, Converter>();

function converterFor(type: GraphQLOutputType): Converter {
  let converter = converters.get(type);
  if (!converter) {
    converter = compile(type);
    converters.set(type, converter);
  }
  return converter;
}

function compile(type: GraphQLOutputType): Converter {
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    const item = converterFor(nullable.ofType);
    return (value, path) =>
      value === null || value === undefined
        ? null
        : Object.freeze(Array.from(value as Iterable<unknown>, (v) => item(v, path)));
  }
  if (isLeafType(nullable)) return (value) => (value === null || value === undefined ? null : leaf(value));
  if (isObjectType(nullable)) return objectConverter(nullable);
  // Interfaces and unions: the concrete type is only known at run time; keep what JSON keeps.
  return (value) => (value === null || value === undefined ? null : jsonClone(value));
}

function objectConverter(type: GraphQLObjectType): Converter {
  // Compiled on first use, not now: types refer to each other (User.apiKeys -> ApiKey.owner -> User).
  let fields: { name: string; convert: Converter }[] | undefined;
  return (value, path) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'object') return value;
    if (path.includes(value)) return null; // a cycle the schema could follow forever: not storable
    fields ??= Object.values(type.getFields()).map((f) => ({ name: f.name, convert: converterFor(f.type) }));
    path.push(value);
    const out: Record<string, unknown> = {};
    for (const { name, convert } of fields) {
      const v = (value as Record<string, unknown>)[name];
      if (v === undefined || typeof v === 'function') continue; // resolved by a field resolver instead
      out[name] = convert(v, path);
    }
    path.pop();
    return Object.freeze(out);
  };
}

function leaf(value: unknown): unknown {
  if (typeof value !== 'object') return typeof value === 'bigint' ? value.toString() : value;
  if (value instanceof Date) return isoString(value);
  return jsonClone(value);
}

/**
 * ISO strings of recent instants. The same rows come back miss after miss (a page of 50 users with
 * their keys holds 1,100 dates), and `toISOString` was the largest single cost of `toPlain` on a miss;
 * a lookup is a fraction of it. Bounded: emptied when full.
 */
const isoStrings = new Map<number, string>();
const maxIsoStrings = 4096;

function isoString(date: Date): string {
  const ms = date.getTime();
  let iso = isoStrings.get(ms);
  if (iso === undefined) {
    iso = date.toISOString(); // an invalid date throws here, as before, and is not remembered
    if (isoStrings.size >= maxIsoStrings) isoStrings.clear();
    isoStrings.set(ms, iso);
  }
  return iso;
}

/** For values that are not GraphQL results: a JSON round trip. */
export function jsonClone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
