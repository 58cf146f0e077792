/**
 * The audit of reference data (`/admin/audit`): who changed which CFA, mandate, user, portfolio or refusal reason,
 * when, and what changed (the fields before → after), filtered by object, identifier, author and Paris days (the
 * filters live in the address: a CFA's page links to its own history), exported as Excel or CSV.
 */
import { Anchor, Button, Code, Group, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { z } from 'zod';
import type { auditListResponse } from '../../../../api/schemas/admin';
import type { userListResponse } from '../../../../api/schemas/accounts';
import { get, withQuery } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { dateTime } from '../../format';
import { useSession } from '../../session';
import { DownloadButton } from './common';

type AuditList = z.output<typeof auditListResponse>;
type Entry = AuditList['items'][number];

const PAGE_SIZE = 50;
const FILTERS = ['entity', 'entityId', 'actor', 'from', 'to'] as const;

const ENTITIES: Record<string, string> = {
  CFA: 'CFA',
  MANDATE: 'Mandat',
  USER: 'Utilisateur',
  PORTFOLIO: 'Portefeuille',
  REFUSAL_REASON: 'Motif de refus',
};

/** A value of the audit, short: text as is, lists and objects as JSON. */
function shown(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 77)}…` : value;
  if (typeof value === 'boolean') return value ? 'oui' : 'non';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}…` : json;
}

/** What changed: the fields whose value differs, before → after; a creation's fields. */
function Changes({ entry }: { entry: Entry }) {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) =>
      !['updatedAt', 'updated_at', 'createdAt', 'created_at'].includes(k) &&
      JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  if (keys.length === 0) return <Text size="sm">—</Text>;
  return (
    <Stack gap={2}>
      {keys.slice(0, 8).map((k) => (
        <Text key={k} size="xs">
          <Code>{k}</Code> {entry.before ? `${shown(before[k])} → ` : ''}
          {shown(after[k])}
        </Text>
      ))}
      {keys.length > 8 && <Text size="xs">… et {keys.length - 8} autre(s)</Text>}
    </Stack>
  );
}

function EntityLink({ entry }: { entry: Entry }) {
  if (entry.entity === 'CFA') {
    return (
      <Anchor component={Link} to={`/admin/cfas/${entry.entityId}`} size="sm" ff="monospace">
        {entry.entityId}
      </Anchor>
    );
  }
  return (
    <Text size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
      {entry.entityId}
    </Text>
  );
}

const columns: Column<Entry>[] = [
  { key: 'at', header: 'Date', cell: (e) => dateTime(e.at), width: 140 },
  { key: 'entity', header: 'Objet', cell: (e) => e.entityLabel },
  { key: 'id', header: 'Identifiant', cell: (e) => <EntityLink entry={e} /> },
  { key: 'action', header: 'Action', cell: (e) => e.actionLabel },
  { key: 'actor', header: 'Auteur', cell: (e) => e.actor?.name ?? 'Système' },
  { key: 'changes', header: 'Modifications', cell: (e) => <Changes entry={e} /> },
];

export function AuditPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? undefined]));
  const page = Number(params.get('page') ?? '1') || 1;
  const audit = useQuery({
    queryKey: ['admin', 'audit', filters, page],
    queryFn: () => get<AuditList>('/api/admin/audit', { ...filters, page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  // Authors to choose from: the staff (listing users needs admin:manage; without it, no author filter).
  const staff = useQuery({
    queryKey: ['admin', 'users', 'staff'],
    enabled: can('admin:manage'),
    queryFn: () => get<z.output<typeof userListResponse>>('/api/admin/users', { pageSize: 200 }),
    select: (list) => list.items.filter((u) => u.role !== 'cfa'),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const key of FILTERS) {
      const value = String(form.get(key) ?? '').trim();
      if (value) next.set(key, value);
    }
    setParams(next);
  };
  const exportQuery = Object.fromEntries(Object.entries(filters).filter(([, v]) => v));

  return (
    <Page
      title="Historique des données de référence"
      actions={
        <>
          <DownloadButton path={withQuery('/api/admin/audit/export.xlsx', exportQuery)} fallbackName="audit.xlsx">
            Exporter (Excel)
          </DownloadButton>
          <DownloadButton path={withQuery('/api/admin/audit/export.csv', exportQuery)} fallbackName="audit.csv">
            Exporter (CSV)
          </DownloadButton>
        </>
      }
    >
      {/* Keyed by the address: the fields show the filters applied. */}
      <form onSubmit={submit} key={params.toString()} aria-label="Filtres de l’historique">
        <Group align="flex-end" wrap="wrap" gap="sm">
          <NativeSelect
            name="entity"
            label="Objet"
            defaultValue={filters.entity ?? ''}
            data={[
              { value: '', label: 'Tous' },
              ...Object.entries(ENTITIES).map(([value, label]) => ({ value, label })),
            ]}
          />
          <TextInput name="entityId" label="Identifiant" defaultValue={filters.entityId ?? ''} w={240} />
          {staff.data && (
            <NativeSelect
              name="actor"
              label="Auteur"
              defaultValue={filters.actor ?? ''}
              data={[{ value: '', label: 'Tous' }, ...staff.data.map((u) => ({ value: u.id, label: u.name }))]}
            />
          )}
          <TextInput type="date" name="from" label="Du" defaultValue={filters.from ?? ''} w={170} />
          <TextInput type="date" name="to" label="Au (inclus)" defaultValue={filters.to ?? ''} w={170} />
          <Button type="submit" variant="default">
            Filtrer
          </Button>
          {params.size > 0 && (
            <Button variant="subtle" onClick={() => setParams(new URLSearchParams())}>
              Effacer les filtres
            </Button>
          )}
        </Group>
      </form>
      <ErrorMessage error={audit.error} title="Historique indisponible" />
      <ListTable
        caption="Les modifications des données de référence, les plus récentes d’abord"
        columns={columns}
        rows={audit.data?.items}
        rowKey={(e) => String(e.id)}
        empty="Aucune modification ne correspond."
        skeletonRows={10}
      />
      <ListPagination
        page={page}
        pageSize={PAGE_SIZE}
        total={audit.data?.total}
        onChange={(p) => {
          const next = new URLSearchParams(params);
          next.set('page', String(p));
          setParams(next);
        }}
      />
    </Page>
  );
}
