/**
 * Sizes of values as JSON text, in bytes, remembered per object: whoever serialised a value already
 * (the resolver cache measures each entry against its cap) tells the memory store, which bounds itself
 * by the same bytes, so that a stored entry is serialised once, not twice.
 */
const known = new WeakMap<object, number>();

/** Remembers that `value` (an object no one will change) is `bytes` long as JSON text. */
export function rememberJsonBytes(value: object, bytes: number): void {
  known.set(value, bytes);
}

/** `value`'s size as JSON text, in bytes: remembered, or measured now. */
export function jsonBytes(value: unknown): number {
  if (value !== null && typeof value === 'object') {
    const remembered = known.get(value);
    if (remembered !== undefined) return remembered;
  }
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}
