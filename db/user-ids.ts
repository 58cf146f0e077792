const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An uploader, decider or claim holder recorded as a user only when it is one (the system and the robots are not). */
export const userIdOrNull = (actor: string): string | null => (USER_ID.test(actor) ? actor : null);
