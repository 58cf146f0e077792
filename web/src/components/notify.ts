/**
 * Notifications of every page (the theme names their close button and keeps their text readable: axe-core checks
 * both), and an action's failure in the API's words.
 */
import { notifications } from '@mantine/notifications';
import { ApiError } from '../api';

export function notify(color: 'teal' | 'red' | 'orange' | 'blue', title: string, message: string): void {
  notifications.show({ color, title, message });
}

/** The message of an error, for a notification (a 422 with its field issues). */
export const messageOf = (error: unknown): string =>
  error instanceof ApiError ? error.explanation : error instanceof Error ? error.message : String(error);

export function notifyError(title: string, error: unknown): void {
  notify('red', title, messageOf(error));
}
