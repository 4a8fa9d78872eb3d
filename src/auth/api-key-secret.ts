import { createHash, randomBytes } from 'node:crypto';

/** Every secret starts with this, so leaked keys are recognisable (secret scanners, logs). */
export const API_KEY_PREFIX = 'gqk_';
/** Characters of the secret kept in clear for display (`prefix` of an ApiKey). */
export const DISPLAY_PREFIX_LENGTH = 12;

/** A new secret: the prefix and 32 random bytes (256 bits) in base64url. */
export function generateApiKeySecret(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * The stored form of a secret. A fast hash is right here (unlike passwords): the secret has 256 bits
 * of entropy, so there is nothing to brute-force, and auth must stay cheap.
 */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, DISPLAY_PREFIX_LENGTH);
}

/** The secret from `Authorization: Bearer <secret>` or `X-API-Key: <secret>`; undefined when neither. */
export function secretFromHeaders(headers: { get(name: string): string | undefined }): string | undefined {
  const authorization = headers.get('authorization')?.trim();
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    return match ? match[1] : authorization; // a malformed header still names a (wrong) key: it must fail
  }
  const apiKey = headers.get('x-api-key')?.trim();
  return apiKey || undefined;
}
