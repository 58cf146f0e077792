import { Loader, Modal, Notification, createTheme } from '@mantine/core';

/**
 * One theme for every page. The primary shade is dark enough for white text (WCAG AA, 4.5:1), and dimmed text is
 * darkened likewise: axe-core checks the contrast of every page in the browser tests.
 */
export const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: 8,
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  defaultRadius: 'sm',
  colors: {
    dark: [
      '#C9C9C9',
      '#b8b8b8',
      '#828282',
      '#696969',
      '#424242',
      '#3b3b3b',
      '#2e2e2e',
      '#242424',
      '#1f1f1f',
      '#141414',
    ],
  },
  components: {
    // Mantine's close buttons carry only an icon: every one gets a name (axe: "buttons must have discernible text").
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Fermer' } } }),
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { 'aria-label': 'Fermer la notification' } },
      // The message under a title is dimmed by default (3.3:1): readable grey instead.
      styles: { description: { color: 'var(--mantine-color-dimmed)' } },
    }),
    // A spinner is announced as a status (its aria-label is read).
    Loader: Loader.extend({ defaultProps: { role: 'status' } }),
  },
});
