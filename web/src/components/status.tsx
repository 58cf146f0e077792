import { Badge } from '@mantine/core';

/** The colour of each status of domain.md; the label is the API's own French label. */
const COLORS: Record<string, string> = {
  AWAITING_INVOICE: 'gray',
  UNDER_VALIDATION: 'blue',
  VALIDATED: 'teal',
  PAID: 'green',
  REFUSED: 'red',
  CANCELLED: 'dark',
};

export function StatusBadge({ status, label }: { status: string; label: string }) {
  return (
    <Badge color={COLORS[status] ?? 'gray'} variant="light" radius="sm" style={{ textTransform: 'none' }}>
      {label}
    </Badge>
  );
}
