import type { Role } from '../modules/user/user.entity';

/** Who is calling: resolved once per request from the API key. */
export interface Viewer {
  readonly userId: number;
  readonly role: Role;
  readonly apiKeyId: number;
}
