/**
 * « Mes contrats »: the CFA's contracts (GET /api/contracts), searched by number, apprentice, employer's SIRET, start
 * dates and status — the search lives in the address (`/contrats?numero=…`), so a link can open it — sorted and paged;
 * each contract opens its schedule (`/contrats/:id`).
 */
import { Anchor, Button, Group, NativeSelect, SimpleGrid, Stack, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { get } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { date } from '../../format';
import { contractStatusLabel } from './labels';
import { Tag } from './tag';
import type { Contract, ContractList } from './types';

/** The address's French names → the API's query names. */
const PARAMS = {
  numero: 'number',
  apprenti: 'apprenticeName',
  siret: 'employerSiret',
  debutDu: 'startFrom',
  debutAu: 'startTo',
  statut: 'status',
} as const;
type Param = keyof typeof PARAMS;

const LABELS: Record<Param, string> = {
  numero: 'N° de contrat',
  apprenti: 'Nom de l’apprenti',
  siret: 'SIRET de l’employeur',
  debutDu: 'Débute à partir du',
  debutAu: 'Débute au plus tard le',
  statut: 'Statut',
};

const SORTS = [
  { value: 'number', label: 'N° de contrat' },
  { value: 'startDate', label: 'Date de début' },
  { value: 'apprenticeName', label: 'Apprenti' },
];

const PAGE_SIZE = 50;

export function ContractStatus({ status }: { status: Contract['status'] }) {
  return <Tag color={status === 'RUPTURE' ? 'red' : 'teal'}>{contractStatusLabel(status)}</Tag>;
}

function ContractSearch({
  params,
  onApply,
}: {
  params: URLSearchParams;
  onApply(values: Record<Param, string>): void;
}) {
  const initial = Object.fromEntries((Object.keys(PARAMS) as Param[]).map((p) => [p, params.get(p) ?? ''])) as Record<
    Param,
    string
  >;
  const [draft, setDraft] = useState(initial);
  const field = (p: Param) => ({
    label: LABELS[p],
    value: draft[p],
    onChange: (e: { currentTarget: { value: string } }) => {
      const value = e.currentTarget.value;
      setDraft((d) => ({ ...d, [p]: value }));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const reset = () => {
    const empty = Object.fromEntries(Object.keys(PARAMS).map((p) => [p, ''])) as Record<Param, string>;
    setDraft(empty);
    onApply(empty);
  };
  return (
    <form onSubmit={submit} role="search" aria-label="Recherche des contrats">
      <Stack gap="sm">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
          <TextInput {...field('numero')} placeholder="Numéro ou début du numéro" />
          <TextInput {...field('apprenti')} placeholder="Partie du nom" />
          <TextInput {...field('siret')} inputMode="numeric" placeholder="14 chiffres" />
          <TextInput type="date" {...field('debutDu')} />
          <TextInput type="date" {...field('debutAu')} />
          <NativeSelect
            {...field('statut')}
            data={[
              { value: '', label: 'Tous' },
              { value: 'ENGAGE', label: contractStatusLabel('ENGAGE') },
              { value: 'RUPTURE', label: contractStatusLabel('RUPTURE') },
            ]}
          />
        </SimpleGrid>
        <Group gap="xs">
          <Button type="submit">Rechercher</Button>
          <Button variant="default" onClick={reset}>
            Réinitialiser les filtres
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

const columns: Column<Contract>[] = [
  {
    key: 'number',
    header: 'N° de contrat',
    cell: (c) => (
      <Anchor component={Link} to={`/contrats/${c.id}`} fw={600} style={{ whiteSpace: 'nowrap' }}>
        {c.number}
      </Anchor>
    ),
  },
  { key: 'label', header: 'Diplôme préparé', cell: (c) => c.label },
  { key: 'apprentice', header: 'Apprenti', cell: (c) => c.apprenticeName },
  {
    key: 'employer',
    header: 'Employeur',
    cell: (c) => `${c.employerName} (SIRET ${c.employerSiret})`,
  },
  { key: 'dates', header: 'Durée du contrat', cell: (c) => `Du ${date(c.startDate)} au ${date(c.endDate)}` },
  { key: 'status', header: 'Statut', cell: (c) => <ContractStatus status={c.status} /> },
];

export function ContractsPage() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const sort = params.get('tri') ?? 'number';
  const query: Record<string, string | number> = { page, pageSize: PAGE_SIZE, sort };
  for (const [p, name] of Object.entries(PARAMS)) {
    const value = params.get(p)?.trim();
    if (value) query[name] = p === 'siret' ? value.replace(/\s/g, '') : value;
  }
  // A new search in the address (a link followed) starts the form over from it.
  const filterKey = Object.keys(PARAMS)
    .map((p) => params.get(p) ?? '')
    .join('|');
  const list = useQuery({
    queryKey: ['contracts', query],
    queryFn: () => get<ContractList>('/api/contracts', query),
    placeholderData: keepPreviousData,
  });
  const update = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next);
  };

  return (
    <Page title="Mes contrats">
      <ContractSearch key={filterKey} params={params} onApply={(values) => update({ ...values, page: '' })} />
      <Group justify="flex-end">
        <NativeSelect
          size="xs"
          label="Trier par"
          data={SORTS}
          value={sort}
          onChange={(e) => update({ tri: e.currentTarget.value, page: '' })}
        />
      </Group>
      <ErrorMessage error={list.error} title="Recherche impossible" />
      <ListTable
        caption="Mes contrats"
        columns={columns}
        rows={list.data?.items}
        rowKey={(c) => c.id}
        loading={list.isFetching}
        empty="Aucun contrat ne correspond à la recherche."
      />
      <ListPagination
        page={page}
        pageSize={PAGE_SIZE}
        total={list.data?.total}
        onChange={(p) => update({ page: p === 1 ? '' : String(p) })}
      />
    </Page>
  );
}
