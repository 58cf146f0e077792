/**
 * A payment run (`/admin/paiements/:number`): its totals, each transfer (the CFA, its masked IBAN, the invoices it
 * pays and the credit notes it deducts, the amount, its status at the bank), the CFAs left out and why, the SEPA file
 * (pain.001, as stored) and the transfers' exports (Excel, CSV).
 */
import { Anchor, Paper, SimpleGrid, Skeleton, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { z } from 'zod';
import type { paymentRunDetailResponse } from '../../../../api/schemas/payment-runs';
import { get } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListTable, type Column } from '../../components/table';
import { count, date, dateTime, money } from '../../format';
import { DownloadButton, ProFormaLinks, Section, Tag } from './common';
import { GROUPING_LABELS, TRIGGER_LABELS } from './payment-runs';

type RunDetail = z.output<typeof paymentRunDetailResponse>;
type Transfer = RunDetail['transfers'][number];
type Exclusion = RunDetail['excluded'][number];

const TRANSFER_STATUS: Record<Transfer['status'], { label: string; color: string }> = {
  ISSUED: { label: 'Émis', color: 'blue' },
  COMPENSATED: { label: 'Compensé par avoirs', color: 'grape' },
  BOOKED: { label: 'Débité', color: 'teal' },
  REJECTED: { label: 'Rejeté', color: 'red' },
};

const EXCLUSION_LABELS: Record<string, string> = {
  ACCOUNT: 'Coordonnées bancaires incomplètes',
  IBAN_FLAGGED: 'IBAN à vérifier (virement rejeté)',
  AMOUNT_OVER_EPC_LIMIT: 'Montant au-delà du plafond SEPA',
};

const sum = (items: { amountCents: number }[]) => items.reduce((total, i) => total + i.amountCents, 0);

const transferColumns: Column<Transfer>[] = [
  {
    key: 'ref',
    header: 'Référence',
    cell: (t) => (
      <Text ff="monospace" size="sm">
        {t.endToEndId}
      </Text>
    ),
  },
  {
    key: 'cfa',
    header: 'CFA',
    cell: (t) => (
      <Stack gap={0}>
        <Anchor component={Link} to={`/admin/cfas/${t.cfa.id}`} size="sm">
          {t.cfa.name}
        </Anchor>
        <Text size="xs" c="dimmed" ff="monospace">
          {t.iban}
          {t.bic ? ` · ${t.bic}` : ''}
        </Text>
      </Stack>
    ),
  },
  {
    key: 'invoices',
    header: 'Factures payées',
    cell: (t) => (
      <Stack gap={0}>
        <Text size="sm">
          <ProFormaLinks numbers={t.invoices.map((i) => i.number)} />
        </Text>
        <Text size="xs">{money(sum(t.invoices))}</Text>
      </Stack>
    ),
  },
  {
    key: 'deductions',
    header: 'Avoirs déduits',
    cell: (t) =>
      t.deductions.length === 0 ? (
        '—'
      ) : (
        <Stack gap={0}>
          <Text size="sm">
            <ProFormaLinks
              numbers={t.deductions.map((d) => d.number)}
              suffix={(n) => (t.deductions.find((d) => d.number === n)?.settled === false ? ' (en partie)' : '')}
            />
          </Text>
          <Text size="xs">{money(sum(t.deductions))}</Text>
        </Stack>
      ),
  },
  {
    key: 'amount',
    header: 'Virement',
    cell: (t) => (
      <Text size="sm" fw={700}>
        {money(t.amountCents)}
      </Text>
    ),
    numeric: true,
  },
  {
    key: 'status',
    header: 'Statut',
    cell: (t) => (
      <Stack gap={2}>
        <Tag color={TRANSFER_STATUS[t.status].color}>{TRANSFER_STATUS[t.status].label}</Tag>
        {t.bookedOn && <Text size="xs">Débité le {date(t.bookedOn)}</Text>}
        {t.bankReference && <Text size="xs">Réf. banque {t.bankReference}</Text>}
        {t.rejectReason && (
          <Text size="xs" c="red.8">
            {t.rejectReason}
          </Text>
        )}
      </Stack>
    ),
  },
];

const exclusionColumns: Column<Exclusion>[] = [
  {
    key: 'cfa',
    header: 'CFA',
    cell: (e) => (
      <Anchor component={Link} to={`/admin/cfas/${e.cfa.id}`} size="sm">
        {e.cfa.name}
      </Anchor>
    ),
  },
  {
    key: 'reason',
    header: 'Motif',
    cell: (e) => (
      <Stack gap={0}>
        <Text size="sm" fw={600}>
          {EXCLUSION_LABELS[e.reason] ?? e.reason}
        </Text>
        <Text size="sm">{e.detail}</Text>
      </Stack>
    ),
  },
  { key: 'numbers', header: 'Pro formas en attente', cell: (e) => <ProFormaLinks numbers={e.numbers} /> },
];

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text fw={700}>{value}</Text>
    </Paper>
  );
}

export function PaymentRunPage() {
  const { number = '' } = useParams();
  const run = useQuery({
    queryKey: ['admin', 'payment-runs', 'detail', number],
    queryFn: () => get<RunDetail>(`/api/admin/payment-runs/${encodeURIComponent(number)}`),
  });
  const r = run.data;
  return (
    <Page
      title={`Campagne ${number}`}
      actions={
        r && (
          <>
            {r.fileSha256 && (
              <DownloadButton path={`/api/admin/payment-runs/${r.number}/file`} fallbackName={`${r.number}.xml`}>
                Télécharger le fichier SEPA
              </DownloadButton>
            )}
            <DownloadButton path={`/api/admin/payment-runs/${r.number}/export.xlsx`} fallbackName={`${r.number}.xlsx`}>
              Exporter (Excel)
            </DownloadButton>
            <DownloadButton path={`/api/admin/payment-runs/${r.number}/export.csv`} fallbackName={`${r.number}.csv`}>
              Exporter (CSV)
            </DownloadButton>
          </>
        )
      }
    >
      <Anchor component={Link} to="/admin/paiements" size="sm">
        Retour aux paiements
      </Anchor>
      <ErrorMessage error={run.error} title="Campagne indisponible" />
      {!r && !run.error && <Skeleton h={300} />}
      {r && (
        <>
          <section aria-label="Synthèse de la campagne">
            <SimpleGrid cols={{ base: 2, md: 3, lg: 6 }}>
              <Fact label="Montant total" value={money(r.totalCents)} />
              <Fact label="Virements" value={count(r.transferCount)} />
              <Fact label="Exécution demandée" value={date(r.executionDate)} />
              <Fact label="Faite le" value={dateTime(r.createdAt)} />
              <Fact label="Déclenchement" value={TRIGGER_LABELS[r.trigger] ?? r.trigger} />
              <Fact label="Regroupement" value={GROUPING_LABELS[r.grouping] ?? r.grouping} />
            </SimpleGrid>
          </section>
          <Text size="sm" c="dimmed">
            Paiements ordonnés jusqu’au {dateTime(r.cutoff)}.{' '}
            {r.fileSha256 ? `Empreinte SHA-256 du fichier : ${r.fileSha256}` : 'Rien à virer : aucun fichier.'}
          </Text>
          <Section title="Virements">
            <ListTable
              caption={`Les virements de la campagne ${r.number}`}
              columns={transferColumns}
              rows={r.transfers}
              rowKey={(t) => t.endToEndId}
              empty="Aucun virement."
            />
          </Section>
          <Section title="CFA écartés">
            <ListTable
              caption={`Les CFA écartés de la campagne ${r.number}`}
              columns={exclusionColumns}
              rows={r.excluded}
              rowKey={(e) => `${e.cfa.id}-${e.reason}`}
              empty="Aucun CFA écarté."
            />
          </Section>
        </>
      )}
    </Page>
  );
}
