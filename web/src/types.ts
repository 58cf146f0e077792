import type { z } from 'zod';
import type { sessionResponse } from '../../api/schemas/accounts';

/**
 * The API's types, read from its own schemas (api/schemas): a page cannot drift from what the API answers. Only
 * types cross: nothing of the server is bundled.
 */
export type Session = z.output<typeof sessionResponse>;
export type Me = Session['user'];
export type Right = Me['rights'][number];
