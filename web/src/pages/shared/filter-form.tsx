import { Button, Collapse, Group, NativeSelect, Paper, SimpleGrid, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { parseEuros } from '../../format';
import {
  CATEGORY_OPTIONS,
  FILTER_KEYS,
  KIND_OPTIONS,
  NATURE_OPTIONS,
  STAGE_OPTIONS,
  STATUS_OPTIONS,
  type FilterKey,
  type Filters,
} from './filters';

/**
 * The list's search form (the guide's « Recherche par numéro de pro forma et/ou statut » and its « Recherche
 * avancée »). It edits a copy of the URL's filters; « Rechercher » puts them in the URL, which the list reads.
 * The page remounts it when the URL changes, so that it always starts from what the list shows.
 */

/** The filters of the first row (and the admins' CFA picker); every other one is in « Recherche avancée ». */
const MAIN: readonly FilterKey[] = ['number', 'invoiceNumber', 'status', 'nature', 'cfaId'];
const ADVANCED: readonly FilterKey[] = FILTER_KEYS.filter((key) => !MAIN.includes(key));

const ANY = { value: '', label: 'Tous' };

/** Cents of the URL shown as « 1234,56 » in the form. */
const eurosText = (cents: string | undefined) =>
  cents && Number.isFinite(Number(cents)) ? (Number(cents) / 100).toFixed(2).replace('.', ',') : '';

export function FilterForm({
  initial,
  staff,
  cfaOptions,
  onSearch,
  onReset,
}: {
  initial: Filters;
  staff: boolean;
  /** The CFAs a staff user may pick (admins); absent: no CFA picker. */
  cfaOptions?: { value: string; label: string }[];
  onSearch(filters: Filters): void;
  onReset(): void;
}) {
  const [values, setValues] = useState<Filters>(initial);
  const [minEuros, setMinEuros] = useState(eurosText(initial.minAmountCents));
  const [maxEuros, setMaxEuros] = useState(eurosText(initial.maxAmountCents));
  const [amountErrors, setAmountErrors] = useState<{ min?: string; max?: string }>({});
  const [advanced, setAdvanced] = useState(() => ADVANCED.some((key) => initial[key]));

  const field = (key: FilterKey) => ({
    value: values[key] ?? '',
    onChange: (event: { currentTarget: { value: string } }) => {
      const value = event.currentTarget.value;
      setValues((v) => ({ ...v, [key]: value }));
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const min = minEuros.trim() ? parseEuros(minEuros) : undefined;
    const max = maxEuros.trim() ? parseEuros(maxEuros) : undefined;
    const errors = {
      min: min === null ? 'Montant attendu, par exemple 1 234,56' : undefined,
      max: max === null ? 'Montant attendu, par exemple 1 234,56' : undefined,
    };
    setAmountErrors(errors);
    if (errors.min || errors.max) {
      setAdvanced(true);
      return;
    }
    onSearch({
      ...values,
      minAmountCents: min === undefined || min === null ? undefined : String(min),
      maxAmountCents: max === undefined || max === null ? undefined : String(max),
    });
  };

  return (
    <Paper withBorder p="md" component="form" onSubmit={submit} role="search" aria-label="Recherche de pro formas">
      <SimpleGrid cols={{ base: 1, sm: 2, lg: staff && cfaOptions ? 5 : 4 }}>
        <TextInput label="Numéro de pro forma" placeholder="PRO-00000000" {...field('number')} />
        <TextInput label="Numéro de facture/facture d’avoir" {...field('invoiceNumber')} />
        <NativeSelect label="Statut" data={[ANY, ...STATUS_OPTIONS]} {...field('status')} />
        <NativeSelect
          label="Nature de coûts"
          data={[{ value: '', label: 'Toutes' }, ...NATURE_OPTIONS]}
          {...field('nature')}
        />
        {staff && cfaOptions && <NativeSelect label="CFA" data={[ANY, ...cfaOptions]} {...field('cfaId')} />}
      </SimpleGrid>
      <Collapse expanded={advanced}>
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} mt="sm">
          <NativeSelect label="Type" data={[ANY, ...KIND_OPTIONS]} {...field('kind')} />
          <NativeSelect
            label="Catégorie du tableau de bord"
            data={[{ value: '', label: 'Toutes' }, ...CATEGORY_OPTIONS]}
            {...field('category')}
          />
          {staff && (
            <NativeSelect label="Étape" data={[{ value: '', label: 'Toutes' }, ...STAGE_OPTIONS]} {...field('stage')} />
          )}
          <TextInput label="Numéro de contrat" {...field('contractNumber')} />
          <TextInput label="Apprenti (début du nom)" {...field('apprentice')} />
          <TextInput type="date" label="Générée à partir du" {...field('createdFrom')} />
          <TextInput type="date" label="Générée jusqu’au" {...field('createdTo')} />
          <TextInput type="date" label="Déposée à partir du" {...field('depositedFrom')} />
          <TextInput type="date" label="Déposée jusqu’au" {...field('depositedTo')} />
          <TextInput type="date" label="Date de la facture" {...field('invoiceDate')} />
          <TextInput
            label="Montant minimal (€)"
            inputMode="decimal"
            value={minEuros}
            onChange={(e) => setMinEuros(e.currentTarget.value)}
            error={amountErrors.min}
          />
          <TextInput
            label="Montant maximal (€)"
            inputMode="decimal"
            value={maxEuros}
            onChange={(e) => setMaxEuros(e.currentTarget.value)}
            error={amountErrors.max}
          />
          {staff && <TextInput label="Recherche libre (numéro, facture, nom du CFA)" {...field('q')} />}
        </SimpleGrid>
      </Collapse>
      <Group justify="space-between" mt="md" wrap="wrap">
        <Button variant="subtle" onClick={() => setAdvanced((a) => !a)} aria-expanded={advanced}>
          {advanced ? 'Masquer la recherche avancée' : 'Recherche avancée'}
        </Button>
        <Group gap="xs">
          <Button variant="default" onClick={onReset}>
            Réinitialiser les filtres
          </Button>
          <Button type="submit">Rechercher</Button>
        </Group>
      </Group>
    </Paper>
  );
}
