/**
 * Validators' portfolios (`/admin/portefeuilles`): which CFAs each validator handles first in its queue
 * (GET /api/admin/portfolios), changed as a whole (PUT /api/admin/validators/:userId/portfolio), and the CFAs of no
 * portfolio, which every validator handles.
 */
import { Anchor, Button, Group, Modal, MultiSelect, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import type { z } from 'zod';
import type { portfolioListResponse } from '../../../../api/schemas/admin';
import { get, put } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListTable, type Column } from '../../components/table';
import { Section, useAllCfas, notify, Tag } from './common';

type Portfolios = z.output<typeof portfolioListResponse>;
type Portfolio = Portfolios['validators'][number];

function CfaBadges({ cfas, empty }: { cfas: { id: string; name: string }[]; empty: string }) {
  if (cfas.length === 0) return <Text size="sm">{empty}</Text>;
  return (
    <Group gap={4} wrap="wrap">
      {cfas.map((c) => (
        <Tag key={c.id}>
          <Anchor component={Link} to={`/admin/cfas/${c.id}`} size="xs" c="inherit">
            {c.name}
          </Anchor>
        </Tag>
      ))}
    </Group>
  );
}

function EditPortfolio({ portfolio, onClose }: { portfolio: Portfolio | null; onClose(): void }) {
  const client = useQueryClient();
  const cfas = useAllCfas();
  const [chosen, setChosen] = useState<string[]>(portfolio?.cfas.map((c) => c.id) ?? []);
  const save = useMutation({
    mutationFn: (cfaIds: string[]) =>
      put<Portfolio>(`/api/admin/validators/${portfolio?.validator.id}/portfolio`, { cfaIds }),
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: ['admin', 'portfolios'] });
      notify('teal', 'Portefeuille enregistré', `${saved.validator.name} : ${saved.cfas.length} CFA.`);
      onClose();
    },
  });
  return (
    <Modal opened={portfolio !== null} onClose={onClose} title={`Portefeuille de ${portfolio?.validator.name ?? ''}`}>
      <Stack>
        <MultiSelect
          label="CFA du portefeuille"
          description="Ses CFA passent en tête de sa file de validation."
          data={(cfas.data ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.siret})` }))}
          value={chosen}
          onChange={setChosen}
          searchable
          clearable
          nothingFoundMessage="Aucun CFA"
          data-autofocus
        />
        <ErrorMessage error={save.error ?? cfas.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Annuler
          </Button>
          <Button onClick={() => save.mutate(chosen)} loading={save.isPending}>
            Enregistrer le portefeuille
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function PortfoliosPage() {
  const portfolios = useQuery({
    queryKey: ['admin', 'portfolios'],
    queryFn: () => get<Portfolios>('/api/admin/portfolios'),
  });
  const [editing, setEditing] = useState<Portfolio | null>(null);
  const columns: Column<Portfolio>[] = [
    {
      key: 'name',
      header: 'Valideur',
      cell: (p) => (
        <Stack gap={0}>
          <Text size="sm" fw={600}>
            {p.validator.name}
          </Text>
          <Text size="xs" c="dimmed">
            {p.validator.email}
            {p.validator.revokedAt ? ' · accès révoqué' : ''}
          </Text>
        </Stack>
      ),
    },
    {
      key: 'cfas',
      header: 'CFA du portefeuille',
      cell: (p) => <CfaBadges cfas={p.cfas} empty="Aucun : traite les CFA d’aucun portefeuille" />,
    },
    {
      key: 'edit',
      header: 'Action',
      cell: (p) => (
        <Button size="compact-sm" variant="default" onClick={() => setEditing(p)}>
          Modifier le portefeuille de {p.validator.name}
        </Button>
      ),
    },
  ];
  return (
    <Page title="Portefeuilles des valideurs">
      <Text size="sm">
        Chaque valideur voit d’abord les factures des CFA de son portefeuille ; les CFA d’aucun portefeuille sont
        traités par tous.
      </Text>
      <ErrorMessage error={portfolios.error} title="Portefeuilles indisponibles" />
      <ListTable
        caption="Les valideurs et leurs portefeuilles"
        columns={columns}
        rows={portfolios.data?.validators}
        rowKey={(p) => p.validator.id}
        empty="Aucun valideur."
        skeletonRows={4}
      />
      <Section title="CFA d’aucun portefeuille">
        {portfolios.data && (
          <CfaBadges cfas={portfolios.data.unassignedCfas} empty="Tous les CFA sont dans un portefeuille." />
        )}
      </Section>
      {/* Keyed by the validator: the choice starts from its portfolio. */}
      <EditPortfolio key={editing?.validator.id ?? 'none'} portfolio={editing} onClose={() => setEditing(null)} />
    </Page>
  );
}
