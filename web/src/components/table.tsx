import { Group, Pagination, Skeleton, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { count } from '../format';

/**
 * The lists of every page: a caption for screen readers, fixed skeleton rows while the first page loads (no layout
 * shift: the table keeps its height), the previous rows kept while the next page loads, an empty state in words,
 * and the API's pagination (`{items, total, page, pageSize}`).
 */

export interface Column<T> {
  key: string;
  header: ReactNode;
  cell(row: T): ReactNode;
  /** Right-aligned, tabular figures (amounts, counts). */
  numeric?: boolean;
  width?: number | string;
}

export function ListTable<T>({
  caption,
  columns,
  rows,
  rowKey,
  loading,
  empty = 'Aucun élément.',
  skeletonRows = 8,
  onRowClick,
  rowProps,
}: {
  caption: string;
  columns: Column<T>[];
  rows: readonly T[] | undefined;
  rowKey(row: T): string;
  loading?: boolean;
  empty?: ReactNode;
  skeletonRows?: number;
  onRowClick?: (row: T) => void;
  rowProps?: (row: T) => Record<string, unknown>;
}) {
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table striped highlightOnHover={Boolean(onRowClick)} verticalSpacing="xs" aria-busy={loading && !rows}>
        <Table.Caption style={{ captionSide: 'top', textAlign: 'left' }} className="visually-hidden">
          {caption}
        </Table.Caption>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c.key} className={c.numeric ? 'amount' : undefined} style={{ width: c.width }} scope="col">
                {c.header}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {!rows &&
            Array.from({ length: skeletonRows }, (_, i) => (
              <Table.Tr key={`skeleton-${i}`}>
                {columns.map((c) => (
                  <Table.Td key={c.key}>
                    <Skeleton height={18} radius="sm" />
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
          {rows?.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={columns.length}>
                <Text c="dimmed" py="md" ta="center">
                  {empty}
                </Text>
              </Table.Td>
            </Table.Tr>
          )}
          {rows?.map((row) => (
            <Table.Tr
              key={rowKey(row)}
              onClick={onRowClick ? () => onRowClick(row) : undefined}
              style={onRowClick ? { cursor: 'pointer' } : undefined}
              {...rowProps?.(row)}
            >
              {columns.map((c) => (
                <Table.Td key={c.key} className={c.numeric ? 'amount' : undefined}>
                  {c.cell(row)}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** « 51–100 sur 240 » and the page buttons, under a list. */
export function ListPagination({
  page,
  pageSize,
  total,
  onChange,
}: {
  page: number;
  pageSize: number;
  total: number | undefined;
  onChange(page: number): void;
}) {
  if (total === undefined) return <Skeleton height={32} width={240} />;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <Group justify="space-between">
      <Text size="sm" c="dimmed" aria-live="polite">
        {total === 0 ? 'Aucun résultat' : `${count(first)}–${count(last)} sur ${count(total)}`}
      </Text>
      {pages > 1 && (
        <Pagination
          total={pages}
          value={page}
          onChange={onChange}
          size="sm"
          getControlProps={(control) => ({
            'aria-label': control === 'previous' ? 'Page précédente' : control === 'next' ? 'Page suivante' : control,
          })}
          getItemProps={(p) => ({ 'aria-label': `Page ${p}` })}
        />
      )}
    </Group>
  );
}
