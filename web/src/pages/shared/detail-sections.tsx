import { Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { statusLabel } from '../../../../domain/process';
import { DownloadButton } from '../../components/download-button';
import { ListTable } from '../../components/table';
import { bytes, date, dateTime, money, percent } from '../../format';
import { paymentAdvicePath } from './actions';
import {
  controlLabel,
  historyActionLabel,
  OUTCOME_LABELS,
  PAYMENT_KIND_LABELS,
  PAYMENT_STATUS_LABELS,
  READ_FIELD_LABELS,
} from './labels';
import type { ProFormaDetail } from './types';

/** The sections of a pro forma's detail page, each small and on its own: lines, documents, reading, payment, history. */

/** A titled block of the page (an h2 and its content). */
export function Section({
  title,
  id,
  actions,
  children,
}: {
  title: string;
  id?: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const headingId = `${id ?? title.replace(/\W+/g, '-')}-titre`;
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={headingId} id={id}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h3" id={headingId}>
            {title}
          </Title>
          {actions}
        </Group>
        {children}
      </Stack>
    </Paper>
  );
}

/** Label and value pairs, as a definition list laid out in columns. */
export function Facts({ items, cols = 3 }: { items: [label: string, value: ReactNode][]; cols?: number }) {
  return (
    <SimpleGrid component="dl" cols={{ base: 1, sm: 2, md: cols }} spacing="sm" verticalSpacing="xs" m={0}>
      {items.map(([label, value]) => (
        <div key={label}>
          <Text component="dt" size="sm" c="dimmed">
            {label}
          </Text>
          <Text component="dd" m={0} fw={500} style={{ overflowWrap: 'anywhere' }}>
            {value}
          </Text>
        </div>
      ))}
    </SimpleGrid>
  );
}

type Line = ProFormaDetail['lines'][number];

export function LinesSection({ pf }: { pf: ProFormaDetail }) {
  return (
    <Section title={`Échéances (${pf.lines.length})`} id="lignes">
      <ListTable<Line>
        caption={`Échéances de la pro forma ${pf.number}`}
        rows={pf.lines}
        rowKey={(l) => l.installmentId}
        columns={[
          { key: 'contract', header: 'Contrat', cell: (l) => l.contractNumber },
          { key: 'apprentice', header: 'Apprenti', cell: (l) => l.apprenticeName },
          { key: 'employer', header: 'Employeur', cell: (l) => l.employerName },
          { key: 'period', header: 'Période', cell: (l) => `Du ${date(l.periodStart)} au ${date(l.periodEnd)}` },
          { key: 'amount', header: 'Montant', numeric: true, cell: (l) => money(l.amountCents) },
        ]}
        empty="Aucune échéance."
      />
      <Text ta="right" fw={700}>
        Total de la pro forma : <span className="amount">{money(pf.totalCents)}</span>
      </Text>
    </Section>
  );
}

type Document = ProFormaDetail['documents'][number];

const TYPE_NAMES: Record<string, string> = {
  'application/pdf': 'PDF',
  'image/png': 'Image PNG',
  'image/jpeg': 'Image JPEG',
  'image/gif': 'Image GIF',
};

export function DocumentsSection({ pf }: { pf: ProFormaDetail }) {
  if (pf.documents.length === 0) return null;
  return (
    <Section title="Factures déposées" id="documents">
      <ListTable<Document>
        caption={`Versions déposées de la facture de ${pf.number}`}
        rows={[...pf.documents].reverse()}
        rowKey={(d) => String(d.version)}
        columns={[
          { key: 'version', header: 'Version', cell: (d) => d.version },
          { key: 'name', header: 'Nom du fichier', cell: (d) => d.fileName },
          { key: 'type', header: 'Type', cell: (d) => TYPE_NAMES[d.mimeType] ?? d.mimeType },
          { key: 'size', header: 'Taille', numeric: true, cell: (d) => bytes(d.size) },
          { key: 'at', header: 'Déposée le', cell: (d) => dateTime(d.uploadedAt) },
          {
            key: 'download',
            header: 'Fichier',
            cell: (d) => (
              <DownloadButton
                size="compact-sm"
                path={`/api/pro-formas/${pf.number}/documents/${d.version}`}
                fallbackName={d.fileName}
                aria-label={`Télécharger la version ${d.version} (${d.fileName})`}
              >
                Télécharger
              </DownloadButton>
            ),
          },
        ]}
      />
    </Section>
  );
}

/**
 * What the service read on the last deposited invoice and what its controls said, compactly: the controls that did
 * not pass in a table, the passed ones named in one line (all of them in the table on request).
 */
export function ReadingSection({ pf }: { pf: ProFormaDetail }) {
  const [showAll, setShowAll] = useState(false);
  const { extraction, controls } = pf;
  if (!extraction && controls.length === 0) return null;
  const readFields = extraction
    ? (Object.keys(READ_FIELD_LABELS) as (keyof typeof READ_FIELD_LABELS)[])
        .filter((key) => extraction.fields[key] !== null)
        .map((key): [string, ReactNode] => {
          const value = extraction.fields[key];
          const shown =
            key === 'totalCents' ? money(value as number) : key === 'issueDate' ? date(String(value)) : value;
          return [READ_FIELD_LABELS[key], shown];
        })
    : [];
  const passed = controls.filter((c) => c.outcome === 'PASSED');
  const shown = showAll ? controls : controls.filter((c) => c.outcome !== 'PASSED');
  return (
    <Section
      title={`Lecture et contrôles de la facture${extraction ? ` (version ${extraction.version})` : ''}`}
      id="controles"
    >
      {extraction?.error && <Text c="red.9">La lecture a échoué : {extraction.error}</Text>}
      {readFields.length > 0 && (
        <>
          <Text size="sm">
            Ce que le service a lu sur la facture
            {extraction?.confidence !== null && extraction?.confidence !== undefined
              ? ` (confiance ${percent(extraction.confidence)})`
              : ''}{' '}
            :
          </Text>
          <Facts items={readFields} cols={4} />
        </>
      )}
      {shown.length > 0 && (
        <Table verticalSpacing={4}>
          <Table.Caption className="visually-hidden">Résultats des contrôles automatiques</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Contrôle</Table.Th>
              <Table.Th scope="col">Résultat</Table.Th>
              <Table.Th scope="col">Détail</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((c) => (
              <Table.Tr key={c.code}>
                <Table.Td>{controlLabel(c.code)}</Table.Td>
                <Table.Td>
                  <div style={{ minWidth: 'max-content' }}>
                    <Badge color={OUTCOME_LABELS[c.outcome].color} variant="filled" style={{ textTransform: 'none' }}>
                      {OUTCOME_LABELS[c.outcome].label}
                    </Badge>
                  </div>
                </Table.Td>
                <Table.Td>{c.message}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {passed.length > 0 && (
        <Group gap="xs" wrap="wrap">
          {!showAll && (
            <Text size="sm">
              <strong>
                {passed.length === controls.length
                  ? 'Tous les contrôles sont conformes'
                  : `Conformes (${passed.length})`}
              </strong>{' '}
              : {passed.map((c) => controlLabel(c.code)).join(', ')}.
            </Text>
          )}
          <Button variant="subtle" size="compact-sm" onClick={() => setShowAll((v) => !v)} aria-expanded={showAll}>
            {showAll ? 'Masquer les contrôles conformes' : 'Détail de tous les contrôles'}
          </Button>
        </Group>
      )}
    </Section>
  );
}

export function PaymentSection({ pf }: { pf: ProFormaDetail }) {
  const { payment } = pf;
  if (!payment) return null;
  return (
    <Section
      title="Paiement"
      id="paiement"
      actions={
        pf.status === 'PAID' && (
          <DownloadButton path={paymentAdvicePath(pf.number)} fallbackName={`avis-de-paiement-${pf.number}.pdf`}>
            Avis de paiement (PDF)
          </DownloadButton>
        )
      }
    >
      <Facts
        items={[
          ['Nature', PAYMENT_KIND_LABELS[payment.kind]],
          ['Montant', money(payment.amountCents)],
          ['État', PAYMENT_STATUS_LABELS[payment.status]],
          ['Ordonné le', dateTime(payment.orderedAt)],
          ['Confirmé le', dateTime(payment.confirmedAt)],
          ['Référence bancaire', payment.reference ?? '—'],
        ]}
      />
    </Section>
  );
}

type HistoryEntry = ProFormaDetail['history'][number];

export function HistorySection({ pf }: { pf: ProFormaDetail }) {
  const statusText = (s: HistoryEntry['from']) => (s ? statusLabel(s, pf.kind) : '—');
  return (
    <Section title="Historique" id="historique">
      <ListTable<HistoryEntry>
        caption={`Historique de la pro forma ${pf.number}`}
        rows={pf.history}
        rowKey={(h) => `${h.at}-${h.action}-${h.actor}`}
        columns={[
          { key: 'at', header: 'Date', cell: (h) => dateTime(h.at) },
          { key: 'action', header: 'Étape', cell: (h) => historyActionLabel(h.action) },
          {
            key: 'actor',
            header: 'Par',
            cell: (h) => h.actorName ?? (h.actor === 'system' ? 'Système' : 'Utilisateur'),
          },
          {
            key: 'status',
            header: 'Statut',
            cell: (h) =>
              h.from === h.to || h.from === null ? statusText(h.to) : `${statusText(h.from)} → ${statusText(h.to)}`,
          },
        ]}
        empty="Aucun événement."
      />
    </Section>
  );
}
