import { Anchor, Badge, Group, NativeSelect, Stack, Text } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { z } from 'zod';
import { Link, useSearchParams } from 'react-router';
import type { cfaListResponse } from '../../../../api/schemas/admin';
import { get, withQuery } from '../../api';
import { DownloadButton } from '../../components/download-button';
import { ErrorMessage, Page } from '../../components/page';
import { StatusBadge } from '../../components/status';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { count, date, money } from '../../format';
import { useSession } from '../../session';
import { proFormaPath, RowActions } from './actions';
import { FilterForm } from './filter-form';
import { describeFilter, filtersOf, pageOf, PAGE_SIZES, paramsOf, type FilterKey } from './filters';
import { KIND_LABELS } from './labels';
import type { ProFormaList, ProFormaSummary } from './types';

/**
 * « Mes factures/factures d'avoir pro formas » (the Opco EP guide, 1.2.1): every pro forma the user may see, newest
 * first, filtered by the URL's query string (GET /api/pro-formas's own parameters), paginated, each with its
 * per-status action menu; the filtered list exported to Excel or CSV. CFA users see their CFA's; the staff see
 * every CFA's, with a CFA column.
 */

type CfaList = z.output<typeof cfaListResponse>;

export function ProFormasListPage() {
  const { user, can } = useSession();
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const { page, pageSize } = pageOf(params);
  const staff = user?.role !== 'cfa';
  const showCfa = staff || (user?.cfas.length ?? 0) > 1;

  const list = useQuery({
    queryKey: ['pro-formas', 'list', filters, page, pageSize],
    queryFn: () => get<ProFormaList>('/api/pro-formas', { ...filters, page, pageSize }),
    placeholderData: keepPreviousData,
  });
  // Admins pick a CFA by name; the other staff search by name in the free search.
  const cfas = useQuery({
    queryKey: ['admin', 'cfas', 'all'],
    queryFn: () => get<CfaList>('/api/admin/cfas', { pageSize: 200 }),
    enabled: can('admin:manage'),
    staleTime: 60_000,
  });
  const cfaOptions = cfas.data?.items.map((c) => ({ value: c.id, label: c.name }));
  const cfaName = (id: string) => cfas.data?.items.find((c) => c.id === id)?.name;

  const setPage = (next: number) => {
    const copy = new URLSearchParams(params);
    if (next === 1) copy.delete('page');
    else copy.set('page', String(next));
    setParams(copy);
  };
  const setPageSize = (size: number) => setParams(paramsOf(filters, size));

  const applied = (Object.entries(filters) as [FilterKey, string][]).map(([key, value]) =>
    describeFilter(key, value, cfaName),
  );
  const title = staff ? 'Pro formas' : 'Mes factures/factures d’avoir pro formas';

  const columns: Column<ProFormaSummary>[] = [
    {
      key: 'number',
      header: 'Numéro de pro forma',
      cell: (pf) => (
        <>
          <Anchor component={Link} to={proFormaPath(pf.number)} fw={600} style={{ whiteSpace: 'nowrap' }}>
            {pf.number}
          </Anchor>
          {pf.invoiceNumber && (
            <Text size="xs" c="dimmed" component="span" display="block">
              Facture n° {pf.invoiceNumber}
            </Text>
          )}
        </>
      ),
    },
    {
      key: 'type',
      header: 'Type',
      cell: (pf) => (
        <>
          {pf.natureLabel}
          <Text size="xs" c="dimmed" component="span" display="block">
            {KIND_LABELS[pf.kind]}
          </Text>
        </>
      ),
    },
    ...(showCfa ? [{ key: 'cfa', header: 'CFA', cell: (pf: ProFormaSummary) => pf.cfa.name }] : []),
    {
      key: 'dates',
      header: 'Création / dépôt',
      cell: (pf) => (
        <>
          {date(pf.createdAt)}
          <Text size="xs" c="dimmed" component="span" display="block">
            {pf.depositedAt ? `Déposée le ${date(pf.depositedAt)}` : 'Pas de dépôt'}
          </Text>
        </>
      ),
    },
    {
      key: 'amount',
      header: 'Montant total',
      numeric: true,
      cell: (pf) => (
        <>
          {money(pf.totalCents)}
          <Text size="xs" c="dimmed" component="span" display="block">
            {count(pf.lineCount)} {pf.lineCount > 1 ? 'échéances' : 'échéance'}
          </Text>
        </>
      ),
    },
    {
      key: 'status',
      header: 'Statut',
      // The badge keeps its whole label (a narrow column would cut it).
      cell: (pf) => (
        <div style={{ minWidth: 'max-content' }}>
          <StatusBadge status={pf.status} label={pf.statusLabel} />
        </div>
      ),
    },
    { key: 'menu', header: 'Menu', cell: (pf) => <RowActions pf={pf} /> },
  ];

  const exportQuery = { ...filters };
  return (
    <Page
      title={title}
      actions={
        can('pro-formas:export') && (
          <>
            <DownloadButton path={withQuery('/api/pro-formas/export.xlsx', exportQuery)} fallbackName="pro-formas.xlsx">
              Exporter (Excel)
            </DownloadButton>
            <DownloadButton path={withQuery('/api/pro-formas/export.csv', exportQuery)} fallbackName="pro-formas.csv">
              Exporter (CSV)
            </DownloadButton>
          </>
        )
      }
    >
      <FilterForm
        key={paramsOf(filters).toString()}
        initial={filters}
        staff={staff}
        cfaOptions={can('admin:manage') ? cfaOptions : undefined}
        onSearch={(next) => setParams(paramsOf(next, pageSize))}
        onReset={() => setParams(paramsOf({}, pageSize))}
      />
      <Group gap="xs" wrap="wrap" aria-live="polite">
        <Text size="sm" fw={600}>
          Filtres appliqués :
        </Text>
        {applied.length === 0 ? (
          <Text size="sm">aucun</Text>
        ) : (
          applied.map((text) => (
            <Badge key={text} variant="outline" color="indigo" radius="sm" style={{ textTransform: 'none' }}>
              {text}
            </Badge>
          ))
        )}
      </Group>
      <ErrorMessage error={list.error} title="La liste n’a pas pu être chargée" />
      <Stack gap="xs">
        <ListTable
          caption={title}
          columns={columns}
          rows={list.error ? [] : list.data?.items}
          rowKey={(pf) => pf.number}
          loading={list.isFetching}
          skeletonRows={Math.min(pageSize, 10)}
          empty={applied.length > 0 ? 'Aucune pro forma ne répond à ces filtres.' : 'Aucune pro forma pour le moment.'}
        />
        <Group justify="space-between" wrap="wrap">
          <ListPagination page={page} pageSize={pageSize} total={list.data?.total} onChange={setPage} />
          <NativeSelect
            label="Lignes par page"
            size="xs"
            data={[...PAGE_SIZES]}
            value={String(pageSize)}
            onChange={(e) => setPageSize(Number(e.currentTarget.value))}
            style={{ display: 'flex', alignItems: 'center', gap: 8 }}
          />
        </Group>
      </Stack>
    </Page>
  );
}
