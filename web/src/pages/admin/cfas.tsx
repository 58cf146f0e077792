/**
 * The CFAs (`/admin/cfas`): every CFA with its SIRET, IBAN, trust and settlement, searchable and filtered, and the
 * form that registers a new one (POST /api/admin/cfas). A CFA's page (cfa-detail.tsx) edits it.
 */
import { Anchor, Button, Group, Modal, NativeSelect, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { post } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { dateTime } from '../../format';
import { fieldError, formatIban, SETTLEMENT_LABELS, useAllCfas, type Cfa, notify, Tag } from './common';

const PAGE_SIZE = 25;

export function CfaFlags({ cfa }: { cfa: Cfa }) {
  return (
    <Group gap={4} wrap="wrap">
      {cfa.trusted && <Tag color="teal">De confiance</Tag>}
      {cfa.ibanFlag && <Tag color="orange">IBAN à vérifier</Tag>}
    </Group>
  );
}

const columns: Column<Cfa>[] = [
  {
    key: 'name',
    header: 'CFA',
    cell: (c) => (
      <Anchor component={Link} to={`/admin/cfas/${c.id}`}>
        {c.name}
      </Anchor>
    ),
  },
  {
    key: 'siret',
    header: 'SIRET',
    cell: (c) => (
      <Text ff="monospace" size="sm">
        {c.siret}
      </Text>
    ),
  },
  {
    key: 'iban',
    header: 'IBAN',
    cell: (c) => (
      <Text ff="monospace" size="sm">
        {formatIban(c.iban)}
      </Text>
    ),
  },
  { key: 'flags', header: 'Statut', cell: (c) => <CfaFlags cfa={c} /> },
  { key: 'settlement', header: 'Avoirs', cell: (c) => SETTLEMENT_LABELS[c.creditNoteSettlement] },
  { key: 'updated', header: 'Modifié le', cell: (c) => dateTime(c.updatedAt) },
];

function CreateCfaModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => post<Cfa>('/api/admin/cfas', body),
    onSuccess: async (cfa) => {
      await client.invalidateQueries({ queryKey: ['admin', 'cfas'] });
      notify('teal', 'CFA enregistré', `${cfa.name} est enregistré.`);
      onClose();
      void navigate(`/admin/cfas/${cfa.id}`);
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    create.mutate({
      siret: text('siret'),
      name: text('name'),
      email: text('email'),
      iban: text('iban'),
      ...(text('bic') && { bic: text('bic') }),
      trusted: form.get('trusted') === 'on',
      creditNoteSettlement: text('creditNoteSettlement'),
    });
  };
  const error = create.error;
  return (
    <Modal opened={opened} onClose={onClose} title="Nouveau CFA" size="lg">
      <form onSubmit={submit}>
        <Stack>
          <TextInput name="name" label="Nom" required error={fieldError(error, 'name')} data-autofocus />
          <TextInput
            name="siret"
            label="SIRET"
            description="14 chiffres"
            required
            inputMode="numeric"
            error={fieldError(error, 'siret')}
          />
          <TextInput name="email" type="email" label="E-mail" required error={fieldError(error, 'email')} />
          <TextInput name="iban" label="IBAN" required error={fieldError(error, 'iban')} />
          <TextInput
            name="bic"
            label="BIC (facultatif)"
            description="Obligatoire pour un IBAN hors de l’Espace économique européen"
            error={fieldError(error, 'bic')}
          />
          <NativeSelect
            name="creditNoteSettlement"
            label="Règlement des factures d’avoir"
            data={Object.entries(SETTLEMENT_LABELS).map(([value, label]) => ({ value, label }))}
          />
          <Switch name="trusted" label="CFA de confiance (validé sans humain quand tout est conforme)" />
          <ErrorMessage error={error} title="Le CFA n’est pas enregistré" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Annuler
            </Button>
            <Button type="submit" loading={create.isPending}>
              Enregistrer le CFA
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function CfasPage() {
  const cfas = useAllCfas();
  const [search, setSearch] = useState('');
  const [flag, setFlag] = useState('');
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);

  const filtered = useMemo(() => {
    const words = search.trim().toLowerCase();
    return cfas.data?.filter(
      (c) =>
        (!words || c.name.toLowerCase().includes(words) || c.siret.includes(words.replace(/\s/g, ''))) &&
        (flag === '' || (flag === 'trusted' ? c.trusted : flag === 'untrusted' ? !c.trusted : c.ibanFlag !== null)),
    );
  }, [cfas.data, search, flag]);
  const rows = filtered?.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);

  return (
    <Page
      title="CFA"
      actions={
        <>
          <Button variant="default" component={Link} to="/admin/contrats">
            Importer des contrats
          </Button>
          <Button onClick={() => setCreating(true)}>Nouveau CFA</Button>
        </>
      }
    >
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label="Rechercher"
          placeholder="Nom ou SIRET"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
          w={280}
        />
        <NativeSelect
          label="Afficher"
          value={flag}
          onChange={(e) => {
            setFlag(e.currentTarget.value);
            setPage(1);
          }}
          data={[
            { value: '', label: 'Tous les CFA' },
            { value: 'trusted', label: 'De confiance' },
            { value: 'untrusted', label: 'Hors confiance' },
            { value: 'iban', label: 'IBAN à vérifier' },
          ]}
        />
      </Group>
      <ErrorMessage error={cfas.error} title="Liste indisponible" />
      <ListTable
        caption="Les CFA"
        columns={columns}
        rows={rows}
        rowKey={(c) => c.id}
        empty="Aucun CFA ne correspond."
        skeletonRows={10}
      />
      <ListPagination page={page} pageSize={PAGE_SIZE} total={filtered?.length} onChange={setPage} />
      <CreateCfaModal opened={creating} onClose={() => setCreating(false)} />
    </Page>
  );
}
