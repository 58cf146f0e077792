/**
 * « Mes contrats éligibles pour facturation » (Opco EP guide): the CFA's eligible installments of one cost nature
 * (tabs), searched and sorted, all of the search's results selected by default (a box per row, one for the page, one
 * for all), the recap of the selection (POST /api/pro-formas/preview) and the generation of its pro forma(s).
 */
import { Anchor, Button, Checkbox, Group, NativeSelect, Stack, Tabs, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { get } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { count, date, money } from '../../format';
import { useSession } from '../../session';
import { ContractStatus } from './contracts';
import { useActingCfa } from './acting-cfa';
import { EligibleSearch, type EligibleFilters } from './eligible-filters';
import { GenerateModal, previewSelection, SearchRecap, SelectionRecap } from './generation';
import { costNatureLabel, isNature, NATURES, plural } from './labels';
import type { CostNature, Eligible, EligibleItem } from './types';

const SORTS = [
  { value: 'contractNumber', label: 'N° de contrat' },
  { value: 'apprentice', label: 'Apprenti' },
  { value: 'periodStart', label: 'Début de période' },
  { value: 'amount', label: 'Montant' },
];

/** The API takes 5,000 installments per generation; a search beyond asks to be narrowed. */
const MAX_SELECTION = 5000;
const ID_PAGE = 200;
const NONE: ReadonlySet<string> = new Set();

/** Every installment id of the search (pages of 200): what « tout sélectionner » and the default selection hold. */
async function allIds(
  cfaId: string | undefined,
  nature: CostNature,
  filters: EligibleFilters,
): Promise<{ ids: string[]; total: number }> {
  const ids: string[] = [];
  let total = 0;
  for (let page = 1; ids.length < MAX_SELECTION; page += 1) {
    const result = await get<Eligible>('/api/installments/eligible', {
      ...filters,
      cfaId,
      nature,
      page,
      pageSize: ID_PAGE,
    });
    total = result.total;
    ids.push(...result.items.map((i) => i.id));
    if (result.items.length < ID_PAGE || ids.length >= total) break;
  }
  return { ids, total };
}

const period = (from: string, to: string) => `Du ${date(from)} au ${date(to)}`;

function rowName(row: EligibleItem): string {
  return `l’échéance du contrat ${row.contractNumber} du ${date(row.periodStart)}`;
}

export function InstallmentsPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const { cfaId, chooser } = useActingCfa();
  const requested = params.get('nature');
  const nature: CostNature = isNature(requested) ? requested : 'PEDAGOGIE';
  const [filters, setFilters] = useState<EligibleFilters>({});
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(50);
  const [sort, setSort] = useState('contractNumber');
  const [order, setOrder] = useState<'asc' | 'desc'>('asc');
  const [generating, setGenerating] = useState(false);

  // The search's selection: every result but those unticked, for this nature and these filters only.
  const searchKey = JSON.stringify([cfaId, nature, filters]);
  const [unticked, setUnticked] = useState<{ key: string; ids: ReadonlySet<string> }>({ key: '', ids: NONE });
  const off = unticked.key === searchKey ? unticked.ids : NONE;
  const setOff = (ids: ReadonlySet<string>) => setUnticked({ key: searchKey, ids });

  const canGenerate = can('pro-formas:generate');
  const list = useQuery({
    queryKey: ['eligible', cfaId, nature, filters, page, pageSize, sort, order],
    queryFn: () =>
      get<Eligible>('/api/installments/eligible', { ...filters, cfaId, nature, page, pageSize, sort, order }),
    placeholderData: keepPreviousData,
  });
  const everyId = useQuery({
    queryKey: ['eligible-ids', cfaId, nature, filters],
    queryFn: () => allIds(cfaId, nature, filters),
    placeholderData: keepPreviousData,
    enabled: canGenerate,
  });
  const current = everyId.data && !everyId.isPlaceholderData ? everyId.data : undefined;
  const selected = useMemo(() => (current ? current.ids.filter((id) => !off.has(id)) : []), [current, off]);
  const [debounced] = useDebouncedValue(selected, 250);
  const preview = useQuery({
    queryKey: ['preview', cfaId, nature, debounced],
    queryFn: () => previewSelection({ cfaId, nature, installmentIds: debounced }),
    enabled: canGenerate && debounced.length > 0,
    placeholderData: keepPreviousData,
  });

  const rows = list.data?.items;
  const pageIds = rows?.map((r) => r.id) ?? [];
  const pageTicked = pageIds.filter((id) => !off.has(id)).length;
  const toggle = (id: string) => {
    const next = new Set(off);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOff(next);
  };
  const togglePage = () => {
    const next = new Set(off);
    const allOn = pageTicked === pageIds.length;
    for (const id of pageIds) {
      if (allOn) next.add(id);
      else next.delete(id);
    }
    setOff(next);
  };
  const restart = () => setPage(1);

  const selectColumn: Column<EligibleItem> = {
    key: 'select',
    width: 40,
    header: (
      <Checkbox
        aria-label="Sélectionner les échéances de la page"
        checked={pageIds.length > 0 && pageTicked === pageIds.length}
        indeterminate={pageTicked > 0 && pageTicked < pageIds.length}
        onChange={togglePage}
        disabled={pageIds.length === 0}
      />
    ),
    cell: (row) => (
      <Checkbox
        aria-label={`Sélectionner ${rowName(row)}`}
        checked={!off.has(row.id)}
        onChange={() => toggle(row.id)}
      />
    ),
  };
  const columns: Column<EligibleItem>[] = [
    ...(canGenerate ? [selectColumn] : []),
    {
      key: 'contract',
      header: 'Contrat',
      cell: (row) => (
        <>
          <Anchor
            component={Link}
            to={`/contrats?numero=${encodeURIComponent(row.contractNumber)}`}
            style={{ whiteSpace: 'nowrap' }}
          >
            {row.contractNumber}
          </Anchor>
          <Text size="xs">{row.contractLabel}</Text>
          <Text size="xs" c="dimmed">
            {period(row.contractStart, row.contractEnd)}
          </Text>
        </>
      ),
    },
    { key: 'apprentice', header: 'Apprenti', cell: (row) => row.apprenticeName },
    {
      key: 'employer',
      header: 'Employeur',
      cell: (row) => (
        <>
          {row.employerName}
          <Text size="xs" c="dimmed" style={{ whiteSpace: 'nowrap' }}>
            SIRET {row.employerSiret}
          </Text>
        </>
      ),
    },
    { key: 'period', header: 'Période de l’échéance', cell: (row) => period(row.periodStart, row.periodEnd) },
    { key: 'amount', header: 'Montant', numeric: true, cell: (row) => money(row.amountCents) },
    {
      key: 'status',
      header: 'Statut',
      cell: (row) => <ContractStatus status={row.contractStatus} />,
    },
  ];

  const total = canGenerate ? current?.total : list.data?.total;
  const ticked = canGenerate ? ` · ${count(selected.length)} sélectionnée${selected.length > 1 ? 's' : ''}` : '';
  const content = (
    <>
      <EligibleSearch
        applied={filters}
        onApply={(next) => {
          setFilters(next);
          restart();
        }}
      />

      <Group justify="space-between" wrap="wrap" align="flex-end">
        <Text size="sm" aria-live="polite">
          {total === undefined
            ? 'Recherche en cours…'
            : `${plural(total, 'échéance éligible', 'échéances éligibles')}${ticked}`}
        </Text>
        <Group gap="xs" wrap="wrap" align="flex-end">
          {canGenerate && (
            <>
              <Button
                variant="default"
                size="xs"
                onClick={() => setOff(new Set())}
                disabled={!current || off.size === 0}
              >
                Tout sélectionner
              </Button>
              <Button
                variant="default"
                size="xs"
                onClick={() => setOff(new Set(current?.ids))}
                disabled={!current || selected.length === 0}
              >
                Tout désélectionner
              </Button>
            </>
          )}
          <NativeSelect
            size="xs"
            label="Trier par"
            data={SORTS}
            value={sort}
            onChange={(e) => {
              setSort(e.currentTarget.value);
              restart();
            }}
          />
          <NativeSelect
            size="xs"
            label="Ordre"
            data={[
              { value: 'asc', label: 'Croissant' },
              { value: 'desc', label: 'Décroissant' },
            ]}
            value={order}
            onChange={(e) => {
              setOrder(e.currentTarget.value as 'asc' | 'desc');
              restart();
            }}
          />
          <NativeSelect
            size="xs"
            label="Lignes par page"
            data={['20', '50', '100']}
            value={String(pageSize)}
            onChange={(e) => {
              setPageSize(Number(e.currentTarget.value));
              restart();
            }}
          />
        </Group>
      </Group>

      <ErrorMessage error={list.error ?? everyId.error} title="Recherche impossible" />
      <ListTable
        caption={`Échéances éligibles : ${costNatureLabel(nature)}`}
        columns={columns}
        rows={rows}
        rowKey={(row) => row.id}
        loading={list.isFetching}
        skeletonRows={6}
        empty="Aucune échéance éligible pour cette recherche."
        rowProps={(row) =>
          !canGenerate || off.has(row.id) ? {} : { style: { background: 'var(--mantine-color-indigo-0)' } }
        }
      />
      <ListPagination page={page} pageSize={pageSize} total={list.data?.total} onChange={setPage} />
      {total !== undefined && total > MAX_SELECTION && (
        <Text size="sm" c="red.9">
          La recherche compte plus de {count(MAX_SELECTION)} échéances : seules les {count(MAX_SELECTION)} premières
          sont sélectionnables. Affinez la recherche pour générer le reste.
        </Text>
      )}

      {canGenerate ? (
        <SelectionRecap
          nature={nature}
          selectedCount={current ? selected.length : undefined}
          preview={preview.data}
          loading={preview.isFetching || debounced !== selected}
          error={preview.error}
          onGenerate={() => setGenerating(true)}
        />
      ) : (
        <SearchRecap nature={nature} recap={list.data?.recap} />
      )}
    </>
  );
  return (
    <Page title="Échéances éligibles">
      <Text size="sm">
        Les échéances de vos contrats dont la période a commencé et qui ne sont dans aucune pro forma. Par défaut toutes
        les échéances de la recherche sont sélectionnées ; décochez celles à exclure de la pro forma.
      </Text>
      {chooser}
      <Tabs
        value={nature}
        onChange={(value) => {
          if (isNature(value)) {
            const next = new URLSearchParams(params);
            next.set('nature', value);
            setParams(next, { replace: true });
            restart();
          }
        }}
        keepMounted
      >
        <Tabs.List aria-label="Nature de coûts">
          {NATURES.map((n) => (
            <Tabs.Tab key={n} value={n}>
              {costNatureLabel(n)}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {NATURES.map((n) => (
          <Tabs.Panel key={n} value={n} pt="md">
            {n === nature && <Stack gap="md">{content}</Stack>}
          </Tabs.Panel>
        ))}
      </Tabs>

      {generating && (
        <GenerateModal cfaId={cfaId} nature={nature} installmentIds={selected} onClose={() => setGenerating(false)} />
      )}
    </Page>
  );
}
