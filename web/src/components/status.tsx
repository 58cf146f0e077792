import { Badge } from '@mantine/core';

/**
 * The colour of each status of domain.md, dark enough under white text (contrast ≥ 4.5:1, checked by axe-core);
 * the label is the API's own French label.
 */
const COLORS: Record<string, string> = {
  AWAITING_INVOICE: 'gray.7',
  UNDER_VALIDATION: 'blue.8',
  VALIDATED: 'cyan.9',
  PAID: 'teal.9',
  REFUSED: 'red.9',
  CANCELLED: 'dark.6',
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
