/**
 * « Mon CFA » (GET /api/my-cfa): the CFA's identity as the Opco knows it (name, SIRET, main address, IBAN and BIC —
 * read only: an administrator changes them), its billing mandates (GET /api/mandates, signed documents to download),
 * and what a user holding `my-cfa:manage` changes (PATCH /api/my-cfa): the default settlement mode of credit notes
 * and the notification addresses, each with the kinds of e-mail it receives.
 */
import {
  Alert,
  Button,
  Checkbox,
  Group,
  Paper,
  Radio,
  SimpleGrid,
  Skeleton,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { get, patch } from '../../api';
import { DownloadButton } from '../../components/download-button';
import { ErrorMessage, Page } from '../../components/page';
import { ListTable, type Column } from '../../components/table';
import { formatIban } from '../../../../domain/identifiers';
import { date, dateTime } from '../../format';
import { useSession } from '../../session';
import { useActingCfa } from './acting-cfa';
import { notify } from '../../components/notify';
import { SETTLEMENT_HELP, SETTLEMENT_LABELS } from './labels';
import type { Mandates, MyCfa, MyCfaUpdate, NotificationEmail, SettlementMode } from './types';

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        {label}
      </Text>
      <Text component="div" fw={500}>
        {children}
      </Text>
    </div>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Stack gap="sm">
        <Title order={2} size="h4">
          {title}
        </Title>
        {children}
      </Stack>
    </Paper>
  );
}

function Identity({ cfa }: { cfa: MyCfa }) {
  return (
    <Section title="Identité et coordonnées bancaires">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
        <Field label="Raison sociale">{cfa.name}</Field>
        <Field label="SIRET">{cfa.siret}</Field>
        <Field label="Adresse e-mail principale">{cfa.email}</Field>
        <Field label="IBAN">
          <span className="amount" style={{ textAlign: 'left' }}>
            {formatIban(cfa.iban)}
          </span>
        </Field>
        <Field label="BIC">{cfa.bic ?? '—'}</Field>
      </SimpleGrid>
      {cfa.ibanFlag && (
        <Alert color="red" title="IBAN à vérifier" role="alert">
          La banque a refusé un virement vers cet IBAN ({cfa.ibanFlag}). Les paiements sont suspendus jusqu’à sa
          vérification par l’Opco : contactez-la pour confirmer ou changer vos coordonnées bancaires.
        </Alert>
      )}
      <Text size="sm">
        L’IBAN et le BIC ne se modifient pas ici : demandez leur changement à l’Opco (la modification est tracée).
      </Text>
    </Section>
  );
}

/** One notification address and the kinds of e-mail it receives. */
function AddressRow({
  index,
  value,
  kinds,
  readOnly,
  onChange,
  onRemove,
}: {
  index: number;
  value: NotificationEmail;
  kinds: MyCfa['mailKinds'];
  readOnly: boolean;
  onChange(value: NotificationEmail): void;
  onRemove(): void;
}) {
  const n = index + 1;
  return (
    <Paper withBorder p="sm" bg="gray.0">
      <Stack gap="xs">
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label={`Adresse ${n}`}
            type="email"
            required
            value={value.email}
            readOnly={readOnly}
            onChange={(e) => onChange({ ...value, email: e.currentTarget.value })}
            style={{ flex: '1 1 260px' }}
          />
          {!readOnly && (
            <Button variant="default" color="red" onClick={onRemove} aria-label={`Retirer l’adresse ${n}`}>
              Retirer
            </Button>
          )}
        </Group>
        <Checkbox.Group
          label={`E-mails reçus par l’adresse ${n}`}
          value={value.kinds}
          onChange={(k) => onChange({ ...value, kinds: k as NotificationEmail['kinds'] })}
          readOnly={readOnly}
        >
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing={6} mt={6}>
            {kinds.map((k) => (
              <Checkbox key={k.kind} value={k.kind} label={k.label} disabled={readOnly} />
            ))}
          </SimpleGrid>
        </Checkbox.Group>
      </Stack>
    </Paper>
  );
}

/** The settings a CFA user changes; starts from the API's answer (remounted after each save). */
function SettingsForm({ cfa, cfaId, canManage }: { cfa: MyCfa; cfaId: string | undefined; canManage: boolean }) {
  const client = useQueryClient();
  const [settlement, setSettlement] = useState<SettlementMode>(cfa.creditNoteSettlement);
  const [addresses, setAddresses] = useState<NotificationEmail[]>(cfa.notificationEmails);
  const save = useMutation({
    mutationFn: (body: MyCfaUpdate) => patch<MyCfa>('/api/my-cfa', { ...body, cfaId }),
    onSuccess: (saved) => {
      client.setQueryData(['my-cfa', cfaId], saved);
      notify('teal', 'Mon CFA', 'Réglages enregistrés.');
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({
      creditNoteSettlement: settlement,
      notificationEmails: addresses.map((a) => ({ email: a.email.trim(), kinds: a.kinds })),
    });
  };
  const readOnly = !canManage;

  return (
    <form onSubmit={submit} aria-label="Réglages du CFA">
      <Stack gap="md">
        <Section title="Mode de règlement des factures d’avoir">
          <Radio.Group
            label="Mode de règlement par défaut"
            description="Il vaut pour les factures d’avoir générées ensuite ; chaque génération peut en choisir un autre."
            value={settlement}
            onChange={(v) => setSettlement(v as SettlementMode)}
            readOnly={readOnly}
          >
            <Group mt="xs">
              {(['DEDUCTION', 'REMBOURSEMENT'] as const).map((mode) => (
                <Radio key={mode} value={mode} label={SETTLEMENT_LABELS[mode]} disabled={readOnly} />
              ))}
            </Group>
          </Radio.Group>
          <Text size="sm">{SETTLEMENT_HELP[settlement]}</Text>
        </Section>

        <Section title="Adresses de notification">
          <Text size="sm">
            Chaque adresse reçoit les e-mails cochés. Un e-mail qu’aucune adresse ne reçoit part à l’adresse principale
            ({cfa.email}).
          </Text>
          {addresses.length === 0 && (
            <Text size="sm">Aucune adresse : tous les e-mails partent à l’adresse principale.</Text>
          )}
          {addresses.map((address, index) => (
            <AddressRow
              key={index}
              index={index}
              value={address}
              kinds={cfa.mailKinds}
              readOnly={readOnly}
              onChange={(next) => setAddresses((list) => list.map((a, i) => (i === index ? next : a)))}
              onRemove={() => setAddresses((list) => list.filter((_, i) => i !== index))}
            />
          ))}
          {canManage && (
            <Group>
              <Button
                variant="default"
                onClick={() =>
                  setAddresses((list) => [...list, { email: '', kinds: cfa.mailKinds.map((k) => k.kind) }])
                }
                disabled={addresses.length >= 20}
              >
                Ajouter une adresse
              </Button>
            </Group>
          )}
        </Section>

        <ErrorMessage error={save.error} title="Enregistrement impossible" />
        {save.isSuccess && !save.isPending && (
          <Alert color="teal" bg="teal.0" role="status" title="Réglages enregistrés">
            Vos réglages sont enregistrés.
          </Alert>
        )}
        {canManage ? (
          <Group>
            <Button type="submit" loading={save.isPending}>
              Enregistrer les réglages
            </Button>
          </Group>
        ) : (
          <Text size="sm">Vos droits permettent de consulter ces réglages, pas de les modifier.</Text>
        )}
      </Stack>
    </form>
  );
}

type Mandate = Mandates['items'][number];

const mandateColumns: Column<Mandate>[] = [
  { key: 'from', header: 'Valide à partir du', cell: (m) => date(m.validFrom) },
  { key: 'to', header: 'Jusqu’au', cell: (m) => (m.validTo ? date(m.validTo) : 'Sans fin') },
  { key: 'created', header: 'Enregistré le', cell: (m) => dateTime(m.createdAt) },
  {
    key: 'document',
    header: 'Mandat signé',
    cell: (m) =>
      m.document ? (
        <DownloadButton
          path={`/api/mandates/${m.id}/document`}
          fallbackName="mandat.pdf"
          size="xs"
          variant="light"
          aria-label={`Télécharger le mandat du ${date(m.validFrom)}`}
        >
          Télécharger
        </DownloadButton>
      ) : (
        <Text size="sm">Enregistré sans document</Text>
      ),
  },
];

/** The mandates of the CFA shown (the API gives a CFA user those of all its CFAs). */
function MandatesSection({ cfaId }: { cfaId: string | undefined }) {
  const mandates = useQuery({ queryKey: ['mandates'], queryFn: () => get<Mandates>('/api/mandates') });
  const rows = mandates.data?.items.filter((m) => cfaId === undefined || m.cfaId === cfaId);
  return (
    <Section title="Mandats de facturation">
      <ErrorMessage error={mandates.error} title="Mandats indisponibles" />
      <ListTable
        caption="Mandats de facturation"
        columns={mandateColumns}
        rows={rows}
        rowKey={(m) => m.id}
        skeletonRows={2}
        empty="Aucun mandat de facturation enregistré : l’Opco vous le demandera."
      />
    </Section>
  );
}

export function MyCfaPage() {
  const { can } = useSession();
  const { cfaId, chooser } = useActingCfa();
  const cfa = useQuery({ queryKey: ['my-cfa', cfaId], queryFn: () => get<MyCfa>('/api/my-cfa', { cfaId }) });
  return (
    <Page title="Mon CFA">
      {chooser}
      <ErrorMessage error={cfa.error} title="Mon CFA indisponible" />
      {cfa.data ? (
        <>
          <Identity cfa={cfa.data} />
          <SettingsForm key={cfa.data.id} cfa={cfa.data} cfaId={cfaId} canManage={can('my-cfa:manage')} />
        </>
      ) : (
        !cfa.error && <Skeleton height={420} />
      )}
      {can('mandates:read') && <MandatesSection cfaId={cfa.data?.id} />}
    </Page>
  );
}
