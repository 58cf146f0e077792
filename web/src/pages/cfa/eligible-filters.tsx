/**
 * The search of « Mes contrats éligibles pour facturation » (Opco EP guide): by contract number and apprentice name,
 * and the advanced search (contract start range, contract status, apprentice's first and last names, employer's and
 * teaching CFA's SIRET). The filters apply on « Rechercher »; « Réinitialiser les filtres » clears them.
 */
import { Button, Collapse, Group, NativeSelect, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { date } from '../../format';
import { contractStatusLabel } from './labels';
import { Tag } from './tag';

export interface EligibleFilters {
  contractNumber?: string;
  apprenticeName?: string;
  startFrom?: string;
  startTo?: string;
  contractStatus?: 'ENGAGE' | 'RUPTURE';
  apprenticeFirstName?: string;
  apprenticeLastName?: string;
  employerSiret?: string;
  trainingSiret?: string;
}

type Key = keyof EligibleFilters;

const LABELS: Record<Key, string> = {
  contractNumber: 'N° de contrat',
  apprenticeName: 'Nom de l’apprenti',
  startFrom: 'Le contrat débute à partir du',
  startTo: 'Le contrat débute au plus tard le',
  contractStatus: 'Statut du contrat',
  apprenticeFirstName: 'Prénom du stagiaire',
  apprenticeLastName: 'Nom du stagiaire',
  employerSiret: 'SIRET adhérent (employeur)',
  trainingSiret: 'SIRET CFA pédagogique',
};

const ADVANCED: Key[] = [
  'startFrom',
  'startTo',
  'contractStatus',
  'apprenticeFirstName',
  'apprenticeLastName',
  'employerSiret',
  'trainingSiret',
];

/** Only the filled filters, trimmed: what the API's query receives. */
export function cleanFilters(draft: Record<Key, string>): EligibleFilters {
  const filters: Record<string, string> = {};
  for (const [key, value] of Object.entries(draft)) {
    const trimmed = value.trim();
    if (trimmed) filters[key] = key.endsWith('Siret') ? trimmed.replace(/\s/g, '') : trimmed;
  }
  return filters as EligibleFilters;
}

function shown(key: Key, value: string): string {
  if (key === 'contractStatus') return contractStatusLabel(value as 'ENGAGE' | 'RUPTURE');
  if (key === 'startFrom' || key === 'startTo') return date(value);
  return value;
}

const EMPTY: Record<Key, string> = {
  contractNumber: '',
  apprenticeName: '',
  startFrom: '',
  startTo: '',
  contractStatus: '',
  apprenticeFirstName: '',
  apprenticeLastName: '',
  employerSiret: '',
  trainingSiret: '',
};

export function EligibleSearch({
  applied,
  onApply,
}: {
  applied: EligibleFilters;
  onApply(filters: EligibleFilters): void;
}) {
  const [draft, setDraft] = useState<Record<Key, string>>({ ...EMPTY, ...applied });
  const [advanced, setAdvanced] = useState(ADVANCED.some((k) => applied[k] !== undefined));
  const field = (key: Key) => ({
    label: LABELS[key],
    value: draft[key],
    onChange: (e: { currentTarget: { value: string } }) => {
      const value = e.currentTarget.value;
      setDraft((d) => ({ ...d, [key]: value }));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(cleanFilters(draft));
  };
  const reset = () => {
    setDraft(EMPTY);
    onApply({});
  };
  const appliedKeys = (Object.keys(applied) as Key[]).filter((k) => applied[k] !== undefined);

  return (
    <Stack gap="sm">
      <form onSubmit={submit} role="search" aria-label="Recherche des échéances éligibles">
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput {...field('contractNumber')} placeholder="Numéro ou début du numéro" />
            <TextInput {...field('apprenticeName')} placeholder="Partie du nom" />
          </SimpleGrid>
          <Collapse expanded={advanced}>
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm" pb="xs">
              <TextInput type="date" {...field('startFrom')} />
              <TextInput type="date" {...field('startTo')} />
              <NativeSelect
                {...field('contractStatus')}
                data={[
                  { value: '', label: 'Tous' },
                  { value: 'ENGAGE', label: contractStatusLabel('ENGAGE') },
                  { value: 'RUPTURE', label: contractStatusLabel('RUPTURE') },
                ]}
              />
              <TextInput {...field('apprenticeFirstName')} placeholder="Début du prénom" />
              <TextInput {...field('apprenticeLastName')} placeholder="Début du nom" />
              <TextInput {...field('employerSiret')} inputMode="numeric" placeholder="14 chiffres" />
              <TextInput {...field('trainingSiret')} inputMode="numeric" placeholder="14 chiffres" />
            </SimpleGrid>
          </Collapse>
          <Group gap="xs" wrap="wrap">
            <Button type="submit">Rechercher</Button>
            <Button variant="default" onClick={reset}>
              Réinitialiser les filtres
            </Button>
            <Button variant="subtle" aria-expanded={advanced} onClick={() => setAdvanced((a) => !a)}>
              {advanced ? 'Masquer la recherche avancée' : 'Recherche avancée'}
            </Button>
          </Group>
        </Stack>
      </form>
      <Group gap="xs" wrap="wrap" aria-live="polite">
        <Text size="sm" fw={600}>
          Filtres appliqués :
        </Text>
        {appliedKeys.length === 0 ? (
          <Text size="sm">aucun filtre appliqué</Text>
        ) : (
          appliedKeys.map((key) => (
            <Tag key={key} color="indigo">
              {LABELS[key]} : {shown(key, applied[key] as string)}
            </Tag>
          ))
        )}
      </Group>
    </Stack>
  );
}
