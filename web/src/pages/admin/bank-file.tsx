/**
 * A bank file received (`/admin/paiements/fichiers/:id`): a camt.054 or pain.002 and what each of its lines did —
 * applied (transfer booked, rejected, reimbursement received) or reported with the reason (unknown, duplicate…).
 */
import { Anchor, Group, SimpleGrid, Skeleton, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import type { z } from 'zod';
import type { bankFileResponse } from '../../../../api/schemas/payment-runs';
import { get } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListTable, type Column } from '../../components/table';
import { count, dateTime, money } from '../../format';
import { ProFormaLink, Section, Tag } from './common';

type BankFileReport = z.output<typeof bankFileResponse>;
type Line = BankFileReport['lines'][number];

export const BANK_FILE_KINDS: Record<string, string> = {
  'camt.054': 'camt.054 (avis de débit et de crédit)',
  'pain.002': 'pain.002 (compte rendu de virements)',
};

const ACTION_LABELS: Record<string, string> = {
  BOOK: 'Virement débité',
  REJECT: 'Virement rejeté',
  RECEIVE: 'Remboursement reçu',
};

function Outcome({ line }: { line: Line }) {
  if (line.action) {
    return <Tag color={line.action === 'REJECT' ? 'red' : 'teal'}>Appliquée : {ACTION_LABELS[line.action]}</Tag>;
  }
  return (
    <Group gap={4} wrap="wrap">
      <Tag color="orange">Signalée</Tag>
      {line.reason && <Text size="sm">{line.reason}</Text>}
    </Group>
  );
}

const lineColumns: Column<Line>[] = [
  { key: 'line', header: 'Ligne', cell: (l) => l.line, numeric: true, width: 70 },
  { key: 'outcome', header: 'Résultat', cell: (l) => <Outcome line={l} /> },
  {
    key: 'ref',
    header: 'Référence',
    cell: (l) => (
      <Text ff="monospace" size="sm">
        {l.endToEndId ?? '—'}
      </Text>
    ),
  },
  {
    key: 'pf',
    header: 'Pro forma',
    cell: (l) => (l.proFormaNumber ? <ProFormaLink number={l.proFormaNumber} /> : '—'),
  },
  { key: 'amount', header: 'Montant', cell: (l) => money(l.amountCents), numeric: true },
  { key: 'detail', header: 'Détail', cell: (l) => l.detail },
];

/** A bank file's lines and what each did. */
export function BankFileLines({ lines, caption }: { lines: Line[] | undefined; caption: string }) {
  return (
    <ListTable
      caption={caption}
      columns={lineColumns}
      rows={lines}
      rowKey={(l) => String(l.line)}
      empty="Aucune ligne."
      skeletonRows={4}
    />
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" fw={600}>
        {value}
      </Text>
    </div>
  );
}

export function BankFilePage() {
  const { id } = useParams();
  const file = useQuery({
    queryKey: ['admin', 'bank-files', 'detail', id],
    queryFn: () => get<BankFileReport>(`/api/admin/bank-files/${id}`),
  });
  const f = file.data;
  return (
    <Page title={f ? `Fichier de la banque ${f.fileName}` : 'Fichier de la banque'}>
      <Anchor component={Link} to="/admin/paiements" size="sm">
        Retour aux paiements
      </Anchor>
      <ErrorMessage error={file.error} title="Fichier indisponible" />
      {!f && !file.error && <Skeleton h={80} />}
      {f && (
        <Section title="Le fichier">
          <SimpleGrid cols={{ base: 2, md: 5 }}>
            <Fact label="Type" value={BANK_FILE_KINDS[f.kind] ?? f.kind} />
            <Fact label="Identifiant du message" value={f.messageId} />
            <Fact label="Reçu le" value={dateTime(f.receivedAt)} />
            <Fact label="Lignes appliquées" value={count(f.appliedCount)} />
            <Fact label="Lignes signalées" value={count(f.reportedCount)} />
          </SimpleGrid>
        </Section>
      )}
      {!file.error && (
        <Section title="Lignes">
          <BankFileLines lines={f?.lines} caption="Les lignes du fichier et ce que chacune a fait" />
        </Section>
      )}
    </Page>
  );
}
