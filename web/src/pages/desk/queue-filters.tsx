import { Button, Group, NativeSelect, Paper, SimpleGrid, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { useState } from 'react';
import { CONTROL_CODES } from '../../../../domain/controls';
import { COST_NATURES, costNatureLabel } from '../../../../domain/cost-nature';
import { count, money, parseEuros } from '../../format';
import { ASSIGNMENT_LABELS, controlLabel, ENGINE_LABELS, STAGE_LABELS } from './labels';
import type { QueueFacets } from './types';

/**
 * The queue's filters, each choice with its count (the API's facets: each counted on the queue filtered by every
 * other filter), and the CFAs with the most invoices as one-click filters. The values live in the page's URL.
 */

export type FilterValues = Record<string, string>;

const ALL = '';

/** « Pédagogie (3) »: a choice and how many invoices it would show. */
function withCount<T>(facet: { value: T; count: number }[] | undefined, value: T, label: string): string {
  if (!facet) return label;
  const found = facet.find((f) => f.value === value);
  return `${label} (${count(found?.count ?? 0)})`;
}

function options<T extends string | boolean | null>(
  allLabel: string,
  values: readonly T[],
  label: (v: T) => string,
  facet: { value: T; count: number }[] | undefined,
) {
  return [
    { value: ALL, label: allLabel },
    ...values.map((v) => ({ value: String(v), label: withCount(facet, v, label(v)) })),
  ];
}

/** A text filter typed freely, sent once the user pauses. */
function TextFilter({
  label,
  initial,
  inputMode,
  onCommit,
}: {
  label: string;
  initial: string;
  inputMode?: 'numeric' | 'text';
  onCommit(value: string): void;
}) {
  const [text, setText] = useState(initial);
  const commit = useDebouncedCallback((value: string) => onCommit(value.trim()), 350);
  return (
    <TextInput
      label={label}
      inputMode={inputMode}
      value={text}
      onChange={(event) => {
        setText(event.currentTarget.value);
        commit(event.currentTarget.value);
      }}
    />
  );
}

/** An amount typed in euros (« 1 234,56 »), sent in cents; a typo is said, not sent. */
function AmountFilter({
  label,
  cents,
  onCommit,
}: {
  label: string;
  cents: string | undefined;
  onCommit(cents: string): void;
}) {
  const [text, setText] = useState(() =>
    cents && /^-?\d+$/.test(cents) ? money(Number(cents)).replace(/\s?€$/, '') : '',
  );
  const [error, setError] = useState<string | null>(null);
  const commit = useDebouncedCallback((value: string) => {
    const parsed = value.trim() === '' ? null : parseEuros(value);
    if (value.trim() !== '' && parsed === null) {
      setError('Montant invalide : par exemple 1 234,56');
      return;
    }
    setError(null);
    onCommit(parsed === null ? '' : String(parsed));
  }, 350);
  return (
    <TextInput
      label={label}
      inputMode="decimal"
      value={text}
      error={error}
      onChange={(event) => {
        setText(event.currentTarget.value);
        commit(event.currentTarget.value);
      }}
    />
  );
}

export function QueueFilters({
  values,
  facets,
  onChange,
  onClear,
}: {
  values: FilterValues;
  facets: QueueFacets | undefined;
  onChange(key: string, value: string): void;
  onClear(): void;
}) {
  const select = (key: string) => ({
    value: values[key] ?? ALL,
    onChange: (event: React.ChangeEvent<HTMLSelectElement>) => onChange(key, event.currentTarget.value),
  });
  // A CFA chosen among the most present ones is written into the CFA field: the field starts again from it.
  const [cfaGeneration, setCfaGeneration] = useState(0);
  const chooseCfa = (siret: string) => {
    onChange('cfa', siret);
    setCfaGeneration((g) => g + 1);
  };

  return (
    <Paper withBorder p="md">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Filtres
        </Title>
        <Button variant="subtle" size="xs" onClick={onClear}>
          Effacer les filtres
        </Button>
      </Group>
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm">
        <TextFilter
          key={cfaGeneration}
          label="CFA (SIRET ou nom)"
          initial={values.cfa ?? ''}
          onCommit={(v) => onChange('cfa', v)}
        />
        <NativeSelect
          label="Nature de coûts"
          data={options('Toutes', COST_NATURES, costNatureLabel, facets?.nature)}
          {...select('nature')}
        />
        <NativeSelect
          label="Contrôle à revoir"
          data={options('Tous', CONTROL_CODES, controlLabel, facets?.control)}
          {...select('control')}
        />
        <NativeSelect
          label="Prise en charge"
          data={options(
            'Toutes',
            ['nobody', 'me', 'someone'] as const,
            (v) => ASSIGNMENT_LABELS[v] ?? v,
            facets?.assigned,
          )}
          {...select('assigned')}
        />
        <AmountFilter
          label="Montant minimal (€)"
          cents={values.minAmountCents}
          onCommit={(v) => onChange('minAmountCents', v)}
        />
        <AmountFilter
          label="Montant maximal (€)"
          cents={values.maxAmountCents}
          onCommit={(v) => onChange('maxAmountCents', v)}
        />
        <TextFilter
          label="En attente depuis plus de (jours)"
          inputMode="numeric"
          initial={values.waitingMoreThanDays ?? ''}
          onCommit={(v) => onChange('waitingMoreThanDays', v)}
        />
        <NativeSelect
          label="Étape"
          data={options(
            'Toutes',
            ['AWAITING_DECISION', 'AWAITING_SECOND_APPROVAL'] as const,
            (v) => STAGE_LABELS[v] ?? v,
            facets?.stage,
          )}
          {...select('stage')}
        />
        <NativeSelect
          label="Lecture de la facture"
          data={options(
            'Toutes',
            ['FACTURX', 'TEXT_LAYER', 'OCR', 'NONE'] as const,
            (v) => ENGINE_LABELS[String(v)] ?? String(v),
            facets?.engine,
          )}
          {...select('engine')}
        />
        <NativeSelect
          label="Contrôle par sondage"
          data={[
            { value: ALL, label: 'Toutes' },
            { value: 'true', label: withCount(facets?.sampled, true, 'Sondées') },
            { value: 'false', label: withCount(facets?.sampled, false, 'Non sondées') },
          ]}
          {...select('sampled')}
        />
        <NativeSelect
          label="Périmètre"
          data={[
            { value: ALL, label: 'Par défaut' },
            { value: 'portfolio', label: 'Mon portefeuille' },
            { value: 'all', label: 'Toute la file' },
          ]}
          {...select('scope')}
        />
        <NativeSelect
          label="Trier par"
          data={[
            { value: ALL, label: 'Les plus anciennes d’abord' },
            { value: 'amount', label: 'Montant décroissant' },
            { value: 'cfa', label: 'CFA (A → Z)' },
          ]}
          {...select('sort')}
        />
      </SimpleGrid>
      {facets && facets.cfa.length > 0 && (
        <Group gap="xs" mt="sm" wrap="wrap">
          <Text size="sm" c="gray.7">
            CFA les plus présents :
          </Text>
          {facets.cfa.map((c) => (
            <Button
              key={c.id}
              size="compact-sm"
              variant={values.cfa === c.siret ? 'filled' : 'light'}
              aria-pressed={values.cfa === c.siret}
              onClick={() => chooseCfa(values.cfa === c.siret ? '' : c.siret)}
            >
              {c.name} · {c.siret} ({count(c.count)})
            </Button>
          ))}
        </Group>
      )}
    </Paper>
  );
}
