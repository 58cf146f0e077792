import { Anchor, Button, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { get, post } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { dateTime, money } from '../../format';
import { useSession } from '../../session';
import { controlLabel, WARNING_TEXT } from './labels';
import { QueueFilters, type FilterValues } from './queue-filters';
import type { Detail, Queue, QueueItem } from './types';

/**
 * The validators' queue (« File de validation »): the invoices awaiting a decision or a second approval, oldest
 * deposit first, with the API's filters and their counts; « Prendre en charge » claims an invoice and opens it.
 */

const PAGE_SIZE = 25;
const FILTER_KEYS = [
  'cfa',
  'nature',
  'control',
  'assigned',
  'minAmountCents',
  'maxAmountCents',
  'waitingMoreThanDays',
  'stage',
  'engine',
  'sampled',
  'scope',
  'sort',
] as const;

export const QUEUE_KEY = 'validation-queue';

export function QueuePage() {
  const [params, setParams] = useSearchParams();
  const [clearCount, setClearCount] = useState(0);
  const filters: FilterValues = Object.fromEntries(
    FILTER_KEYS.flatMap((key) => (params.get(key) ? [[key, params.get(key) as string]] : [])),
  );
  const page = Math.max(1, Number(params.get('page')) || 1);

  const query = useQuery({
    queryKey: [QUEUE_KEY, filters, page],
    queryFn: () => get<Queue>('/api/validation/queue', { ...filters, page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    // Other validators claim and decide meanwhile: the queue follows.
    refetchInterval: 30_000,
  });

  const change = (key: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        next.delete('page');
        return next;
      },
      { replace: true },
    );

  return (
    <Page title="File de validation">
      <Text>
        Les factures déposées qui attendent une décision, la plus ancienne d’abord. Prenez-en une en charge pour
        l’examiner : les autres valideurs la verront prise.
      </Text>
      <QueueFilters
        key={clearCount}
        values={filters}
        facets={query.data?.facets}
        onChange={change}
        onClear={() => {
          setParams(new URLSearchParams(), { replace: true });
          setClearCount((c) => c + 1);
        }}
      />
      <ErrorMessage error={query.error} title="La file n’a pas pu être lue" />
      <Stack gap="xs">
        <QueueTable rows={query.data?.items} loading={query.isFetching} />
        <ListPagination
          page={page}
          pageSize={PAGE_SIZE}
          total={query.data?.total}
          onChange={(p) =>
            setParams((current) => {
              const next = new URLSearchParams(current);
              next.set('page', String(p));
              return next;
            })
          }
        />
      </Stack>
    </Page>
  );
}

function waiting(item: QueueItem): string {
  if (item.waitingDays <= 0) return 'aujourd’hui';
  return item.waitingDays === 1 ? 'depuis 1 jour' : `depuis ${item.waitingDays} jours`;
}

function ClaimState({ item }: { item: QueueItem }) {
  if (!item.claim) return <Text size="sm">Libre</Text>;
  return (
    <Text size="sm">
      {item.mine ? 'Par vous' : `Par ${item.claim.name}`}
      <br />
      <Text span size="xs" c="gray.7">
        jusqu’à {dateTime(item.claim.expiresAt)}
      </Text>
    </Text>
  );
}

function QueueTable({ rows, loading }: { rows: QueueItem[] | undefined; loading: boolean }) {
  const columns: Column<QueueItem>[] = [
    {
      key: 'number',
      header: 'Pro forma',
      cell: (item) => (
        <Anchor component={Link} to={`/validation/${item.number}`} fw={600} style={{ whiteSpace: 'nowrap' }}>
          {item.number}
        </Anchor>
      ),
    },
    {
      key: 'cfa',
      header: 'CFA',
      cell: (item) => (
        <Text size="sm">
          {item.cfa.name}
          <br />
          <Text span size="xs" c="gray.7">
            SIRET {item.cfa.siret}
          </Text>
        </Text>
      ),
    },
    { key: 'nature', header: 'Nature', cell: (item) => item.natureLabel },
    { key: 'amount', header: 'Montant', numeric: true, cell: (item) => money(item.totalCents) },
    {
      key: 'deposited',
      header: 'Déposée le',
      cell: (item) => (
        <Text size="sm">
          {dateTime(item.waitingSince)}
          <br />
          <Text span size="xs" c="gray.7">
            {waiting(item)}
          </Text>
        </Text>
      ),
    },
    {
      key: 'review',
      header: 'À vérifier',
      cell: (item) => (
        <Stack gap={2}>
          {item.reviewCodes.length === 0 && item.flags.length === 0 && <Text size="sm">—</Text>}
          {item.reviewCodes.map((code) => (
            <Text key={code} size="sm" c={WARNING_TEXT}>
              {controlLabel(code)}
            </Text>
          ))}
          {item.flags.map((flag) => (
            <Text key={flag} size="sm" fw={600} c="indigo.8">
              {flag}
            </Text>
          ))}
          {item.firstApprovedBy && (
            <Text size="xs" c="gray.7">
              1re approbation : {item.firstApprovedBy.name}
            </Text>
          )}
        </Stack>
      ),
    },
    { key: 'claim', header: 'Prise en charge', cell: (item) => <ClaimState item={item} /> },
    {
      key: 'action',
      header: <span className="visually-hidden">Action</span>,
      cell: (item) => <RowAction item={item} />,
    },
  ];
  return (
    <ListTable
      caption="Factures en attente de décision"
      columns={columns}
      rows={rows}
      rowKey={(item) => item.number}
      loading={loading}
      empty="Aucune facture n’attend de décision avec ces filtres."
    />
  );
}

/** Claim (or, for an admin, take over someone else's claim), then open the invoice page. */
function useClaim() {
  const client = useQueryClient();
  const navigate = useNavigate();
  return useMutation({
    mutationFn: ({ number, takeOver }: { number: string; takeOver?: boolean }) =>
      post<Detail>(`/api/pro-formas/${number}/claim`, takeOver ? { takeOver: true } : {}),
    onSuccess: (detail) => {
      client.setQueryData(['pro-forma', detail.number], detail);
      void client.invalidateQueries({ queryKey: [QUEUE_KEY] });
      void navigate(`/validation/${detail.number}`);
    },
    onError: (error) =>
      notifications.show({ color: 'red', title: 'Prise en charge impossible', message: error.message }),
  });
}

function RowAction({ item }: { item: QueueItem }) {
  const { can, user } = useSession();
  const claim = useClaim();
  const busy = claim.isPending && claim.variables?.number === item.number;
  if (item.mine || !can('validation:claim')) {
    return (
      <Button
        component={Link}
        to={`/validation/${item.number}`}
        size="xs"
        variant="light"
        aria-label={`Ouvrir ${item.number}`}
      >
        Ouvrir
      </Button>
    );
  }
  if (item.claim) {
    return user?.role === 'admin' ? (
      <Button
        size="xs"
        variant="default"
        loading={busy}
        aria-label={`Reprendre ${item.number}`}
        onClick={() => claim.mutate({ number: item.number, takeOver: true })}
      >
        Reprendre
      </Button>
    ) : (
      <Button
        component={Link}
        to={`/validation/${item.number}`}
        size="xs"
        variant="default"
        aria-label={`Consulter ${item.number}`}
      >
        Consulter
      </Button>
    );
  }
  return (
    <Button
      size="xs"
      loading={busy}
      aria-label={`Prendre en charge ${item.number}`}
      onClick={() => claim.mutate({ number: item.number })}
    >
      Prendre en charge
    </Button>
  );
}
