import {
  type GraphQLObjectType,
  type GraphQLOutputType,
  getNullableType,
  isLeafType,
  isListType,
  isObjectType,
} from 'graphql';
import { rememberJsonBytes } from './stores/json-bytes';

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
  const size: Size = { bytes: 0 };
  const plain = converterFor(type)(value, [], size);
  // Measured while built: whoever stores it (the cache, against its entry cap and byte bounds) need not serialise it.
  if (plain !== null && typeof plain === 'object') rememberJsonBytes(plain, size.bytes);
  return plain;
}

/** The bytes of JSON text of what the converters built so far (`JSON.stringify`'s output, in UTF-8). */
interface Size {
  bytes: number;
}

/**
 * Converts one value of a type, adding the bytes of its JSON text to `size`; `path` holds the objects
 * being converted above it (cycle detection).
 */
type Converter = (value: unknown, path: object[], size: Size) => unknown;

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
  if (isListType(nullable)) return listConverter(converterFor(nullable.ofType));
  if (isLeafType(nullable)) return (value, _path, size) => measured(value == null ? null : leaf(value), size);
  if (isObjectType(nullable)) return objectConverter(nullable);
  // Interfaces and unions: the concrete type is only known at run time; keep what JSON keeps.
  return (value, _path, size) => measured(value == null ? null : jsonClone(value), size);
}

function listConverter(item: Converter): Converter {
  return (value, path, size) => {
    if (value === null || value === undefined) return measured(null, size);
    const out = Array.from(value as Iterable<unknown>, (v) => {
      const converted = item(v, path, size);
      if (omittedByJson(converted)) size.bytes += 4; // written as null in a list
      return converted;
    });
    size.bytes += 2 + Math.max(0, out.length - 1); // [ ] and the commas
    return Object.freeze(out);
  };
}

function objectConverter(type: GraphQLObjectType): Converter {
  // Compiled on first use, not now: types refer to each other (User.apiKeys -> ApiKey.owner -> User).
  let fields: { name: string; nameBytes: number; convert: Converter }[] | undefined;
  return (value, path, size) => {
    if (value === null || value === undefined) return measured(null, size);
    if (typeof value !== 'object') return measured(value, size);
    if (path.includes(value)) return measured(null, size); // a cycle the schema could follow forever: not storable
    fields ??= Object.values(type.getFields()).map((f) => ({
      name: f.name,
      nameBytes: f.name.length + 3, // "name": (GraphQL names are ASCII letters, digits and _)
      convert: converterFor(f.type),
    }));
    path.push(value);
    const out: Record<string, unknown> = {};
    let members = 0;
    for (const { name, nameBytes, convert } of fields) {
      const v = (value as Record<string, unknown>)[name];
      if (v === undefined || typeof v === 'function') continue; // resolved by a field resolver instead
      const converted = convert(v, path, size);
      out[name] = converted;
      if (omittedByJson(converted)) continue; // JSON leaves the member out
      size.bytes += nameBytes;
      members++;
    }
    path.pop();
    size.bytes += 2 + Math.max(0, members - 1); // { } and the commas
    return Object.freeze(out);
  };
}

/** Values JSON.stringify leaves out of an object (and writes as null in a list). */
function omittedByJson(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** Printable ASCII but `"` and `\\`: such a string is its length plus two quotes in JSON. */
const plainJsonString = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Adds the bytes of a converted leaf (or of a value kept as JSON keeps it) to `size`; answers the value. */
function measured<T>(value: T, size: Size): T {
  switch (typeof value) {
    case 'string':
      size.bytes += plainJsonString.test(value) ? value.length + 2 : Buffer.byteLength(JSON.stringify(value));
      break;
    case 'number':
      size.bytes += Number.isFinite(value) ? String(value).length : 4;
      break;
    case 'boolean':
      size.bytes += value ? 4 : 5;
      break;
    case 'object':
      size.bytes += value === null ? 4 : Buffer.byteLength(JSON.stringify(value) ?? '');
      break;
    default: // undefined, symbols, functions: left out (or null in a list), counted by the container
  }
  return value;
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
