import { Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { percent } from '../../format';
import { ScrollTable } from './panels';
import { controlLabel, ENGINE_LABELS, WARNING_TEXT, FIELD_LABELS, fieldValue, OUTCOME_LABELS } from './labels';
import { UNCERTAIN_BELOW, type FieldReading } from './reading';
import type { CorrectableField, Detail } from './types';

/**
 * The fields read on the invoice, each with how sure the reading is (as a percentage): the uncertain ones (below the
 * controls' threshold) are highlighted and say so in words; a corrected field shows its new value, the read one
 * beside it, and who corrected it. A field found on the page has « Voir », which frames it on the document.
 */
export function ReadFields({
  detail,
  readings,
  onCorrect,
  shown,
  onShow,
}: {
  detail: Detail;
  readings: FieldReading[];
  /** Present when the user may correct now. */
  onCorrect?: (field: CorrectableField) => void;
  /** The field framed on the document, if any. */
  shown: CorrectableField | null;
  onShow: (field: CorrectableField) => void;
}) {
  const extraction = detail.extraction;
  const located = readings.some((r) => r.position !== null);
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="read-fields-title">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4" id="read-fields-title">
          Valeurs lues sur la facture
        </Title>
        {extraction && (
          <Text size="sm" c="gray.7">
            Lecture : {ENGINE_LABELS[extraction.engine] ?? extraction.engine}
            {extraction.confidence !== null && ` · confiance globale ${percent(extraction.confidence)}`}
          </Text>
        )}
      </Group>
      {!extraction && <Text>La facture n’a pas encore été lue.</Text>}
      {extraction?.error && (
        <Text size="sm" mb="xs">
          {extraction.error}
        </Text>
      )}
      {extraction && (
        <ScrollTable>
          <Table verticalSpacing="xs">
            <Table.Caption className="visually-hidden">
              Valeurs lues, confiance de la lecture (incertaine sous {percent(UNCERTAIN_BELOW)}) et corrections
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Champ</Table.Th>
                <Table.Th scope="col">Valeur</Table.Th>
                <Table.Th scope="col" className="amount">
                  Confiance
                </Table.Th>
                {(located || onCorrect) && (
                  <Table.Th scope="col">
                    <span className="visually-hidden">Sur le document et correction</span>
                  </Table.Th>
                )}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {readings.map((r) => (
                <FieldRow
                  key={r.field}
                  reading={r}
                  onCorrect={onCorrect}
                  located={located}
                  shown={shown === r.field}
                  onShow={onShow}
                />
              ))}
            </Table.Tbody>
          </Table>
        </ScrollTable>
      )}
    </Paper>
  );
}

function FieldRow({
  reading,
  onCorrect,
  located,
  shown,
  onShow,
}: {
  reading: FieldReading;
  onCorrect?: (field: CorrectableField) => void;
  /** Some field of the reading has a position: the column is there. */
  located: boolean;
  shown: boolean;
  onShow: (field: CorrectableField) => void;
}) {
  const { field, correction, uncertain } = reading;
  const label = FIELD_LABELS[field];
  return (
    <Table.Tr
      data-field={field}
      data-uncertain={uncertain ? 'true' : undefined}
      style={
        uncertain
          ? { background: 'var(--mantine-color-yellow-0)', boxShadow: 'inset 4px 0 0 var(--mantine-color-orange-7)' }
          : undefined
      }
    >
      <Table.Th scope="row" fw={600}>
        {label}
      </Table.Th>
      <Table.Td>
        <Stack gap={2}>
          <Text size="sm" ff={field === 'iban' || field === 'siret' ? 'monospace' : undefined}>
            {fieldValue(field, reading.value)}
          </Text>
          {uncertain && (
            <Text size="xs" fw={700} c={WARNING_TEXT}>
              Lecture incertaine
            </Text>
          )}
          {correction && (
            <Text size="xs" fw={700} c="indigo.8">
              Corrigé
            </Text>
          )}
          {reading.controls.map((c) => (
            <Text key={c.code} size="xs" fw={700} c={c.outcome === 'FAILED' ? 'red.9' : WARNING_TEXT}>
              {controlLabel(c.code)} : {OUTCOME_LABELS[c.outcome].toLowerCase()}
            </Text>
          ))}
          {correction && (
            <Text size="xs" c="gray.7">
              Lu : {fieldValue(field, correction.before)} · corrigé par {correction.author.name ?? 'un valideur'} : «{' '}
              {correction.justification} »
            </Text>
          )}
        </Stack>
      </Table.Td>
      <Table.Td className="amount">
        <Text size="sm" fw={uncertain ? 700 : undefined}>
          {reading.confidence === null ? '—' : percent(reading.confidence)}
        </Text>
      </Table.Td>
      {(located || onCorrect) && (
        <Table.Td>
          <Stack gap={4} align="flex-start">
            {reading.position && (
              <Button
                size="compact-sm"
                variant={shown ? 'filled' : 'subtle'}
                aria-label={`Voir sur le document : ${label}`}
                aria-pressed={shown}
                onClick={() => onShow(field)}
              >
                Voir
              </Button>
            )}
            {onCorrect && (
              <Button
                size="compact-sm"
                variant="subtle"
                aria-label={`Corriger : ${label}`}
                onClick={() => onCorrect(field)}
              >
                Corriger
              </Button>
            )}
          </Stack>
        </Table.Td>
      )}
    </Table.Tr>
  );
}
