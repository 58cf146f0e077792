/**
 * A CFA (`/admin/cfas/:id`): its details and bank account edited (PATCH /api/admin/cfas/:cfaId: name, e-mail, IBAN,
 * BIC, trust, settlement of credit notes; « IBAN vérifié » lifts the flag a rejected transfer set), its billing
 * mandates (the list, a new one with or without its signed PDF), and the validators whose portfolio holds it.
 */
import {
  Alert,
  Anchor,
  Button,
  FileInput,
  Group,
  NativeSelect,
  Progress,
  SimpleGrid,
  Skeleton,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import type { z } from 'zod';
import type { portfolioListResponse } from '../../../../api/schemas/admin';
import type { mandateItem, mandateListResponse } from '../../../../api/schemas/mandates';
import { get, patch, post, upload } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListTable, type Column } from '../../components/table';
import { bytes, date, dateTime } from '../../format';
import { CfaFlags } from './cfas';
import {
  DownloadButton,
  fieldError,
  formatIban,
  SETTLEMENT_LABELS,
  Section,
  useAllCfas,
  type Cfa,
  notify,
  Tag,
} from './common';

type Mandate = z.output<typeof mandateItem>;
type Portfolios = z.output<typeof portfolioListResponse>;

const compact = (iban: string) => iban.replace(/\s+/g, '').toUpperCase();

function DetailsForm({ cfa }: { cfa: Cfa }) {
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => patch<Cfa>(`/api/admin/cfas/${cfa.id}`, body),
    onSuccess: async (saved) => {
      await client.invalidateQueries({ queryKey: ['admin', 'cfas'] });
      notify('teal', 'CFA modifié', `${saved.name} est enregistré.`);
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const changes: Record<string, unknown> = {};
    if (text('name') !== cfa.name) changes.name = text('name');
    if (text('email') !== cfa.email) changes.email = text('email');
    if (compact(text('iban')) !== compact(cfa.iban)) changes.iban = text('iban');
    if ((text('bic') || null) !== cfa.bic) changes.bic = text('bic') || null;
    const trusted = form.get('trusted') === 'on';
    if (trusted !== cfa.trusted) changes.trusted = trusted;
    if (text('creditNoteSettlement') !== cfa.creditNoteSettlement) {
      changes.creditNoteSettlement = text('creditNoteSettlement');
    }
    if (Object.keys(changes).length === 0) {
      notify('blue', 'Aucune modification', 'Rien n’a changé : rien n’est enregistré.');
      return;
    }
    save.mutate(changes);
  };
  const error = save.error;
  return (
    <Section title="Coordonnées et règlement">
      {/* Keyed by the last change: the fields show what is saved. */}
      <form onSubmit={submit} key={cfa.updatedAt}>
        <Stack>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <TextInput name="name" label="Nom" defaultValue={cfa.name} required error={fieldError(error, 'name')} />
            <TextInput
              name="email"
              type="email"
              label="E-mail"
              defaultValue={cfa.email}
              required
              error={fieldError(error, 'email')}
            />
            <TextInput
              name="iban"
              label="IBAN"
              defaultValue={formatIban(cfa.iban)}
              required
              description="Un changement alors que des pro formas validées attendent leur paiement alerte les administrateurs."
              error={fieldError(error, 'iban')}
            />
            <TextInput
              name="bic"
              label="BIC (facultatif)"
              defaultValue={cfa.bic ?? ''}
              description="Obligatoire pour un IBAN hors de l’Espace économique européen"
              error={fieldError(error, 'bic')}
            />
            <NativeSelect
              name="creditNoteSettlement"
              label="Règlement des factures d’avoir"
              defaultValue={cfa.creditNoteSettlement}
              data={Object.entries(SETTLEMENT_LABELS).map(([value, label]) => ({ value, label }))}
            />
            <Switch
              name="trusted"
              mt="lg"
              label="CFA de confiance (validé sans humain quand tout est conforme)"
              defaultChecked={cfa.trusted}
            />
          </SimpleGrid>
          <ErrorMessage error={error} title="Modification refusée" />
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending}>
              Enregistrer les modifications
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

function IbanFlag({ cfa }: { cfa: Cfa }) {
  const client = useQueryClient();
  const check = useMutation({
    mutationFn: () => patch<Cfa>(`/api/admin/cfas/${cfa.id}`, { ibanChecked: true }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['admin', 'cfas'] });
      notify('teal', 'IBAN vérifié', 'Les prochaines campagnes paient de nouveau ce CFA.');
    },
  });
  if (!cfa.ibanFlag) return null;
  return (
    <Alert color="orange" title="IBAN à vérifier" role="status">
      <Stack gap="xs">
        <Text size="sm">
          La banque a rejeté un virement le {dateTime(cfa.ibanFlag.at)} : {cfa.ibanFlag.reason}. Le CFA est écarté des
          campagnes de paiement tant que son IBAN n’est pas vérifié (ou remplacé).
        </Text>
        <ErrorMessage error={check.error} />
        <Group>
          <Button color="orange" onClick={() => check.mutate()} loading={check.isPending}>
            IBAN vérifié
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

const mandateColumns: Column<Mandate>[] = [
  { key: 'from', header: 'Début', cell: (m) => date(m.validFrom) },
  { key: 'to', header: 'Fin', cell: (m) => (m.validTo ? date(m.validTo) : 'Sans fin') },
  {
    key: 'document',
    header: 'Mandat signé',
    cell: (m) =>
      m.document ? (
        <DownloadButton
          path={`/api/mandates/${m.id}/document`}
          fallbackName={m.document.fileName}
          size="compact-sm"
          variant="subtle"
          aria-label={`Télécharger le mandat signé du ${date(m.validFrom)} (${m.document.fileName})`}
        >
          {m.document.fileName} ({bytes(m.document.size)})
        </DownloadButton>
      ) : (
        <Text size="sm" c="dimmed">
          Aucun document
        </Text>
      ),
  },
  { key: 'created', header: 'Enregistré le', cell: (m) => dateTime(m.createdAt) },
  {
    key: 'expiry',
    header: 'Rappel d’expiration',
    cell: (m) => (m.expiryNotifiedAt ? `Envoyé le ${dateTime(m.expiryNotifiedAt)}` : '—'),
  },
];

function Mandates({ cfa }: { cfa: Cfa }) {
  const client = useQueryClient();
  const key = ['admin', 'mandates', cfa.id];
  const mandates = useQuery({
    queryKey: key,
    queryFn: () => get<z.output<typeof mandateListResponse>>('/api/mandates', { cfaId: cfa.id }),
  });
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [formKey, setFormKey] = useState(0);
  const add = useMutation({
    mutationFn: async (input: { validFrom: string; validTo: string; file: File | null }) => {
      const fields = { validFrom: input.validFrom, ...(input.validTo && { validTo: input.validTo }) };
      if (!input.file) return post<unknown>(`/api/admin/cfas/${cfa.id}/mandates`, fields);
      setProgress(0);
      try {
        return await upload<unknown>(`/api/admin/cfas/${cfa.id}/mandates/document`, input.file, setProgress, fields);
      } finally {
        setProgress(null);
      }
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: key });
      notify('teal', 'Mandat ajouté', `Mandat de ${cfa.name} enregistré.`);
      setFile(null);
      setFormKey((k) => k + 1);
    },
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    add.mutate({ validFrom: String(form.get('validFrom') ?? ''), validTo: String(form.get('validTo') ?? ''), file });
  };
  return (
    <Section title="Mandats de facturation">
      <ErrorMessage error={mandates.error} title="Mandats indisponibles" />
      <ListTable
        caption={`Mandats de facturation de ${cfa.name}`}
        columns={mandateColumns}
        rows={mandates.data?.items}
        rowKey={(m) => m.id}
        empty="Aucun mandat : les pro formas de ce CFA ne peuvent pas être générées."
        skeletonRows={2}
      />
      <form onSubmit={submit} key={formKey} aria-label="Ajouter un mandat">
        <Stack gap="sm">
          <Text fw={600} size="sm">
            Ajouter un mandat
          </Text>
          <Group align="flex-start" wrap="wrap">
            <TextInput
              type="date"
              name="validFrom"
              label="Valable du"
              required
              w={170}
              error={fieldError(add.error, 'validFrom')}
            />
            <TextInput
              type="date"
              name="validTo"
              label="Au (facultatif)"
              w={170}
              error={fieldError(add.error, 'validTo')}
            />
            <FileInput
              label="Mandat signé (PDF, facultatif)"
              description="5 Mo au plus"
              placeholder="Choisir le PDF"
              // Mantine's placeholder grey (2:1) would not be read: it is text here, not an input's placeholder.
              styles={{ placeholder: { color: 'var(--mantine-color-gray-7)' } }}
              accept="application/pdf"
              value={file}
              onChange={setFile}
              clearable
              w={280}
            />
          </Group>
          {progress !== null && (
            <Progress value={Math.round(progress * 100)} aria-label="Progression de l’envoi du mandat" />
          )}
          <ErrorMessage error={add.error} title="Le mandat n’est pas enregistré" />
          <Group>
            <Button type="submit" loading={add.isPending}>
              Ajouter le mandat
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

function Validators({ cfa }: { cfa: Cfa }) {
  const portfolios = useQuery({
    queryKey: ['admin', 'portfolios'],
    queryFn: () => get<Portfolios>('/api/admin/portfolios'),
  });
  const holders = portfolios.data?.validators.filter((v) => v.cfas.some((c) => c.id === cfa.id)) ?? [];
  return (
    <Section
      title="Valideurs"
      actions={
        <Anchor component={Link} to="/admin/portefeuilles" size="sm">
          Gérer les portefeuilles
        </Anchor>
      }
    >
      <ErrorMessage error={portfolios.error} />
      {!portfolios.data ? (
        <Skeleton h={24} />
      ) : holders.length === 0 ? (
        <Text size="sm">Dans aucun portefeuille : ses factures sont traitées par tous les valideurs.</Text>
      ) : (
        <Group gap="xs">
          {holders.map((v) => (
            <Tag key={v.validator.id}>{v.validator.name}</Tag>
          ))}
        </Group>
      )}
    </Section>
  );
}

export function CfaDetailPage() {
  const { id } = useParams();
  const cfas = useAllCfas();
  const cfa = cfas.data?.find((c) => c.id === id);
  if (cfas.data && !cfa) {
    return (
      <Page title="CFA introuvable">
        <Text>Aucun CFA ne correspond à cette adresse.</Text>
        <Anchor component={Link} to="/admin/cfas">
          Retour aux CFA
        </Anchor>
      </Page>
    );
  }
  return (
    <Page
      title={cfa ? cfa.name : 'CFA'}
      actions={
        cfa && (
          <Button
            variant="default"
            component={Link}
            to={`/admin/audit?entity=CFA&entityId=${encodeURIComponent(cfa.id)}`}
          >
            Historique des modifications
          </Button>
        )
      }
    >
      <ErrorMessage error={cfas.error} title="CFA indisponible" />
      {!cfa ? (
        <Skeleton h={400} />
      ) : (
        <>
          <Group gap="md" wrap="wrap">
            <Text size="sm">
              SIRET{' '}
              <Text span ff="monospace">
                {cfa.siret}
              </Text>
            </Text>
            <Text size="sm" c="dimmed">
              Enregistré le {dateTime(cfa.createdAt)} · modifié le {dateTime(cfa.updatedAt)}
            </Text>
            <CfaFlags cfa={cfa} />
          </Group>
          <IbanFlag cfa={cfa} />
          <DetailsForm cfa={cfa} />
          <Mandates cfa={cfa} />
          <Validators cfa={cfa} />
        </>
      )}
    </Page>
  );
}
