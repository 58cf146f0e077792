import { Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { formatIban, normalizeIban } from '../../../../domain/identifiers';
import { statusLabel } from '../../../../domain/process';
import { date, dateTime, money } from '../../format';
import { controlLabel, FIELD_LABELS, fieldValue, historyLabel, OUTCOME_COLORS, OUTCOME_LABELS } from './labels';
import { currentValue, registeredIban } from './reading';
import type { CorrectableField, Detail, HistoryEntry } from './types';

/** The invoice page's read-only sections: the controls, the CFA's reference data, the pro forma's lines, the history. */

/**
 * A table of a section, scrolling sideways when its column is too narrow (the scrolling part takes the keyboard
 * focus, so that it can be scrolled without a mouse).
 */
export function ScrollTable({ children }: { children: React.ReactNode }) {
  return (
    <Table.ScrollContainer minWidth={420} scrollAreaProps={{ viewportProps: { tabIndex: 0 } }}>
      {children}
    </Table.ScrollContainer>
  );
}

function Section({ id, title, children }: { id: string; title: string; children: React.ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={id}>
      <Title order={2} size="h4" id={id} mb="xs">
        {title}
      </Title>
      {children}
    </Paper>
  );
}

const ORDER = { FAILED: 0, NEEDS_REVIEW: 1, PASSED: 2 } as const;

/** Every control of the latest reading, the failed and the ones to check first, each with its message. */
export function ControlsPanel({ detail }: { detail: Detail }) {
  const controls = [...detail.controls].sort((a, b) => ORDER[a.outcome] - ORDER[b.outcome]);
  const toCheck = controls.filter((c) => c.outcome !== 'PASSED').length;
  return (
    <Section id="controls-title" title="Contrôles automatiques">
      {controls.length === 0 ? (
        <Text>Aucun contrôle n’a encore été fait.</Text>
      ) : (
        <>
          <Text size="sm" mb="xs">
            {toCheck === 0
              ? 'Tous les contrôles sont conformes.'
              : `${toCheck} contrôle${toCheck > 1 ? 's' : ''} sur ${controls.length} à vérifier ou en échec.`}
          </Text>
          <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {controls.map((c) => (
              <li key={c.code} data-control={c.code} data-outcome={c.outcome}>
                <Group gap="xs" wrap="nowrap" align="flex-start">
                  <Badge
                    color={OUTCOME_COLORS[c.outcome]}
                    variant={c.outcome === 'PASSED' ? 'outline' : 'filled'}
                    radius="sm"
                    miw={84}
                    style={{ textTransform: 'none', flexShrink: 0 }}
                  >
                    {OUTCOME_LABELS[c.outcome]}
                  </Badge>
                  <div>
                    <Text size="sm" fw={600}>
                      {controlLabel(c.code)}
                    </Text>
                    <Text size="sm">{c.message}</Text>
                  </div>
                </Group>
              </li>
            ))}
          </Stack>
        </>
      )}
    </Section>
  );
}

function Comparison({
  field,
  registered,
  read,
  format,
}: {
  field: CorrectableField;
  registered: string | null;
  read: string | null;
  format: (v: string) => string;
}) {
  const same = registered !== null && read !== null ? registered === read : null;
  return (
    <Table.Tr data-reference={field} data-differs={same === false ? 'true' : undefined}>
      <Table.Th scope="row">{FIELD_LABELS[field]}</Table.Th>
      <Table.Td ff="monospace" fz="sm">
        {registered ? format(registered) : 'non communiqué'}
      </Table.Td>
      <Table.Td>
        <Text ff="monospace" size="sm" fw={same === false ? 700 : undefined}>
          {read ? format(read) : 'non lu'}
        </Text>
        {same !== null && (
          <Badge
            mt={4}
            color={same ? 'teal.9' : 'red.9'}
            variant={same ? 'outline' : 'filled'}
            radius="sm"
            style={{ textTransform: 'none' }}
          >
            {same ? 'Identique' : 'Différent'}
          </Badge>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

/** The CFA's registered SIRET and IBAN beside the ones read on the invoice: a changed IBAN is the classic fraud. */
export function ReferencePanel({ detail }: { detail: Detail }) {
  const readIban = currentValue(detail, 'iban');
  const readSiret = currentValue(detail, 'siret');
  return (
    <Section id="reference-title" title="Données de référence du CFA">
      <Text size="sm" mb="xs">
        {detail.cfa.name} · SIRET {detail.cfa.siret}
      </Text>
      <ScrollTable>
        <Table verticalSpacing="xs">
          <Table.Caption className="visually-hidden">Valeurs enregistrées pour le CFA et valeurs lues</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Donnée</Table.Th>
              <Table.Th scope="col">Enregistrée pour le CFA</Table.Th>
              <Table.Th scope="col">Lue sur la facture</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            <Comparison
              field="siret"
              registered={detail.cfa.siret}
              read={typeof readSiret === 'string' ? readSiret.replace(/\s/g, '') : null}
              format={(v) => v}
            />
            <Comparison
              field="iban"
              registered={registeredIban(detail)}
              read={typeof readIban === 'string' ? normalizeIban(readIban) : null}
              format={formatIban}
            />
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </Section>
  );
}

/** The pro forma's lines (contract, apprentice, installment period, amount) and its total. */
export function LinesPanel({ detail }: { detail: Detail }) {
  return (
    <Section id="lines-title" title="Lignes de la pro forma">
      <ScrollTable>
        <Table verticalSpacing="xs" striped>
          <Table.Caption className="visually-hidden">
            Échéances facturées par la pro forma {detail.number}
          </Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Contrat</Table.Th>
              <Table.Th scope="col">Apprenti · employeur</Table.Th>
              <Table.Th scope="col">Échéance</Table.Th>
              <Table.Th scope="col" className="amount">
                Montant
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {detail.lines.map((line) => (
              <Table.Tr key={line.installmentId}>
                <Table.Td>{line.contractNumber}</Table.Td>
                <Table.Td>
                  {line.apprenticeName} · {line.employerName}
                </Table.Td>
                <Table.Td>
                  du {date(line.periodStart)} au {date(line.periodEnd)}
                </Table.Td>
                <Table.Td className="amount">{money(line.amountCents)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
          <Table.Tfoot>
            <Table.Tr>
              <Table.Th scope="row" colSpan={3}>
                Total ({detail.lineCount} ligne{detail.lineCount > 1 ? 's' : ''})
              </Table.Th>
              <Table.Td className="amount" fw={700}>
                {money(detail.totalCents)}
              </Table.Td>
            </Table.Tr>
          </Table.Tfoot>
        </Table>
      </ScrollTable>
    </Section>
  );
}

/** What a history step's details say, in words (a reason, a correction, a comment). */
function details(entry: HistoryEntry): string[] {
  const d = entry.details;
  if (!d) return [];
  const said: string[] = [];
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : null);
  const changes = Array.isArray(d.changes)
    ? (d.changes as { field: CorrectableField; before: unknown; after: unknown }[])
    : [];
  for (const c of changes) {
    const show = (v: unknown) => fieldValue(c.field, v as string | number | null);
    said.push(`${FIELD_LABELS[c.field] ?? c.field} : ${show(c.before)} → ${show(c.after)}`);
  }
  if (text('justification')) said.push(`Justification : ${text('justification')}`);
  if (text('reason')) said.push(`Motif : ${text('reason')}`);
  if (text('reasonCode')) said.push(`Motif : ${text('reasonCode')}`);
  if (text('comment')) said.push(`Commentaire : ${text('comment')}`);
  return said;
}

export function HistoryPanel({ detail }: { detail: Detail }) {
  const entries = [...detail.history].reverse();
  return (
    <Section id="history-title" title="Historique">
      <ScrollTable>
        <Table verticalSpacing="xs">
          <Table.Caption className="visually-hidden">Historique de la pro forma, le plus récent d’abord</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Date</Table.Th>
              <Table.Th scope="col">Étape</Table.Th>
              <Table.Th scope="col">Par</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((entry, i) => (
              <Table.Tr key={`${entry.at}-${i}`}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{dateTime(entry.at)}</Table.Td>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {historyLabel(entry.action)}
                  </Text>
                  {entry.to && entry.to !== entry.from && (
                    <Text size="xs" c="gray.7">
                      Statut : {statusLabel(entry.to, detail.kind)}
                    </Text>
                  )}
                  {details(entry).map((line) => (
                    <Text size="xs" key={line}>
                      {line}
                    </Text>
                  ))}
                </Table.Td>
                <Table.Td>{entry.actorName ?? (entry.actor === 'system' ? 'Système' : 'Utilisateur')}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
    </Section>
  );
}
