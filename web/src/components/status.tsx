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

/** A pro forma's status, in its colour, with the API's French label. */
export function StatusBadge({ status, label }: { status: string; label: string }) {
  return (
    <Badge
      color={COLORS[status] ?? 'gray.7'}
      variant="filled"
      radius="sm"
      // The whole label, on two lines if the column is narrow (never « En attente … »).
      styles={{
        root: { textTransform: 'none', height: 'auto', minHeight: 'var(--badge-height)', paddingBlock: 2 },
        label: { whiteSpace: 'normal', overflow: 'visible', textOverflow: 'clip' },
      }}
    >
      {label}
    </Badge>
  );
}
