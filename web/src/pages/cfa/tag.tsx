/**
 * A small coloured label (a contract's status, a user's, an installment's standing) whose text keeps a 4.5:1 contrast:
 * the shade 9 of its colour on the shade 0 (Mantine's light badge, shade 9 on shade 1, falls short for teal).
 */
import { Badge } from '@mantine/core';
import type { ReactNode } from 'react';

/** The colours whose shade 9 on shade 0 passes WCAG AA. */
export type TagColor = 'teal' | 'red' | 'blue' | 'indigo' | 'gray' | 'cyan' | 'grape';

export function Tag({ color, children }: { color: TagColor; children: ReactNode }) {
  return (
    <Badge
      variant="light"
      radius="sm"
      tt="none"
      style={{
        background: `var(--mantine-color-${color}-0)`,
        color: `var(--mantine-color-${color}-9)`,
        // Never cut (« En attente de fact… »): the column makes room for the whole label.
        minWidth: 'max-content',
      }}
    >
      {children}
    </Badge>
  );
}
