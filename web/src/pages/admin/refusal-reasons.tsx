/**
 * The catalogue of refusal reasons (`/admin/motifs`): each reason's code, label, version and letter; admins add one,
 * revise its label or letter (a new version: letters already sent keep their text; the versions are listed) and
 * retire it (no longer offered, still shown on past refusals; the automatic controls' reasons stay). Users who may
 * only read the catalogue (validators) see it without the actions.
 */
import { Button, Group, Modal, ScrollArea, Stack, Switch, Text, Textarea, TextInput, Timeline } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type {
  refusalReasonDetailResponse,
  refusalReasonListResponse,
  refusalReasonResponse,
} from '../../../../api/schemas/admin';
import { get, patch, post } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { dateTime } from '../../format';
import { useSession } from '../../session';
import { ConfirmModal, fieldError, notify, Tag } from './common';

type Reason = z.output<typeof refusalReasonResponse>;
type ReasonDetail = z.output<typeof refusalReasonDetailResponse>;

const PAGE_SIZE = 50;
const LETTER_HELP =
  'Dans la lettre, {{numeroProForma}} et {{numeroFacture}} sont remplacés par les numéros du dossier.';

function ReasonForm({
  reason,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  reason: Reason | null;
  busy: boolean;
  error: unknown;
  onSubmit(values: { code: string; label: string; letter: string }): void;
  onCancel(): void;
}) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    onSubmit({
      code: String(form.get('code') ?? reason?.code ?? '').trim(),
      label: String(form.get('label') ?? '').trim(),
      letter: String(form.get('letter') ?? '').trim(),
    });
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        {!reason && (
          <TextInput
            name="code"
            label="Code"
            description="Majuscules, chiffres et _ (par exemple SIGNATURE_ABSENTE)"
            required
            error={fieldError(error, 'code')}
            data-autofocus
          />
        )}
        <TextInput
          name="label"
          label="Libellé"
          defaultValue={reason?.label}
          required
          error={fieldError(error, 'label')}
          data-autofocus={reason ? true : undefined}
        />
        <Textarea
          name="letter"
          label="Lettre de refus"
          description={LETTER_HELP}
          defaultValue={reason?.letter}
          required
          autosize
          minRows={6}
          maxRows={16}
          error={fieldError(error, 'letter')}
        />
        <ErrorMessage error={error} title="Enregistrement refusé" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Annuler
          </Button>
          <Button type="submit" loading={busy}>
            {reason ? 'Enregistrer la nouvelle version' : 'Ajouter le motif'}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The versions of a reason, the newest first. */
function Versions({ code }: { code: string }) {
  const detail = useQuery({
    queryKey: ['admin', 'refusal-reasons', code],
    queryFn: () => get<ReasonDetail>(`/api/admin/refusal-reasons/${code}`),
  });
  if (detail.error) return <ErrorMessage error={detail.error} />;
  if (!detail.data) return null;
  return (
    <Stack gap="xs">
      <Text fw={600} size="sm">
        Versions
      </Text>
      <ScrollArea.Autosize mah={200}>
        <Timeline bulletSize={14} lineWidth={2} active={0}>
          {[...detail.data.versions].reverse().map((v) => (
            <Timeline.Item key={v.version} title={`Version ${v.version} — ${v.label}`}>
              <Text size="xs" c="dimmed">
                {dateTime(v.createdAt)}
                {v.createdBy ? '' : ' · catalogue initial'}
              </Text>
            </Timeline.Item>
          ))}
        </Timeline>
      </ScrollArea.Autosize>
    </Stack>
  );
}

type Dialog = { kind: 'create' } | { kind: 'edit'; reason: Reason } | { kind: 'retire'; reason: Reason } | null;

export function RefusalReasonsPage() {
  const { can } = useSession();
  const manage = can('admin:manage');
  const client = useQueryClient();
  const [includeRetired, setIncludeRetired] = useState(false);
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState<Dialog>(null);
  const reasons = useQuery({
    queryKey: ['admin', 'refusal-reasons', { includeRetired, page }],
    queryFn: () =>
      get<z.output<typeof refusalReasonListResponse>>('/api/admin/refusal-reasons', {
        includeRetired,
        page,
        pageSize: PAGE_SIZE,
      }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['admin', 'refusal-reasons'] });
  const close = () => setDialog(null);
  const done = async (title: string, reason: Reason) => {
    await refresh();
    close();
    notify('teal', title, `${reason.code} — ${reason.label}`);
  };
  const create = useMutation({
    mutationFn: (values: { code: string; label: string; letter: string }) =>
      post<Reason>('/api/admin/refusal-reasons', values),
    onSuccess: (reason) => done('Motif ajouté', reason),
  });
  const revise = useMutation({
    mutationFn: ({ reason, label, letter }: { reason: Reason; label: string; letter: string }) =>
      patch<Reason>(`/api/admin/refusal-reasons/${reason.code}`, {
        ...(label !== reason.label && { label }),
        ...(letter !== reason.letter && { letter }),
      }),
    onSuccess: (reason) => done(`Motif modifié (version ${reason.version})`, reason),
  });
  const retire = useMutation({
    mutationFn: (reason: Reason) => post<Reason>(`/api/admin/refusal-reasons/${reason.code}/retire`),
    onSuccess: (reason) => done('Motif retiré du catalogue', reason),
  });
  const open = (next: Dialog) => {
    for (const m of [create, revise, retire]) m.reset();
    setDialog(next);
  };

  const columns: Column<Reason>[] = [
    {
      key: 'code',
      header: 'Code',
      cell: (r) => (
        <Text ff="monospace" size="sm">
          {r.code}
        </Text>
      ),
    },
    {
      key: 'label',
      header: 'Libellé',
      cell: (r) => (
        <Stack gap={2}>
          <Text size="sm" fw={600}>
            {r.label}
          </Text>
          <Text size="xs" c="dimmed" lineClamp={2}>
            {r.letter}
          </Text>
        </Stack>
      ),
    },
    { key: 'version', header: 'Version', cell: (r) => r.version, numeric: true, width: 90 },
    {
      key: 'status',
      header: 'Statut',
      cell: (r) => (
        <Group gap={4}>
          {r.retiredAt ? <Tag color="gray">Retiré le {dateTime(r.retiredAt)}</Tag> : <Tag color="teal">Proposé</Tag>}
          {r.automatic && <Tag color="indigo">Contrôles automatiques</Tag>}
        </Group>
      ),
    },
    ...(manage
      ? [
          {
            key: 'actions',
            header: 'Actions',
            cell: (r: Reason) =>
              r.retiredAt ? null : (
                <Group gap={4} wrap="nowrap">
                  <Button
                    size="compact-sm"
                    variant="default"
                    aria-label={`Modifier ${r.code}`}
                    onClick={() => open({ kind: 'edit', reason: r })}
                  >
                    Modifier
                  </Button>
                  {!r.automatic && (
                    <Button
                      size="compact-sm"
                      variant="default"
                      color="red"
                      aria-label={`Retirer ${r.code}`}
                      onClick={() => open({ kind: 'retire', reason: r })}
                    >
                      Retirer
                    </Button>
                  )}
                </Group>
              ),
          },
        ]
      : []),
  ];

  return (
    <Page
      title="Motifs de refus"
      actions={manage && <Button onClick={() => open({ kind: 'create' })}>Nouveau motif</Button>}
    >
      <Switch
        label="Afficher les motifs retirés"
        checked={includeRetired}
        onChange={(e) => {
          setIncludeRetired(e.currentTarget.checked);
          setPage(1);
        }}
      />
      <ErrorMessage error={reasons.error} title="Catalogue indisponible" />
      <ListTable
        caption="Le catalogue des motifs de refus"
        columns={columns}
        rows={reasons.data?.items}
        rowKey={(r) => r.code}
        empty="Aucun motif."
        skeletonRows={8}
      />
      <ListPagination page={page} pageSize={PAGE_SIZE} total={reasons.data?.total} onChange={setPage} />

      <Modal opened={dialog?.kind === 'create'} onClose={close} title="Nouveau motif de refus" size="lg">
        <ReasonForm
          reason={null}
          busy={create.isPending}
          error={create.error}
          onSubmit={(values) => create.mutate(values)}
          onCancel={close}
        />
      </Modal>
      <Modal
        opened={dialog?.kind === 'edit'}
        onClose={close}
        title={dialog?.kind === 'edit' ? `Modifier le motif ${dialog.reason.code}` : ''}
        size="lg"
      >
        {dialog?.kind === 'edit' && (
          <Stack>
            <Text size="sm">
              Les lettres déjà envoyées gardent leur texte : la modification crée une nouvelle version.
            </Text>
            <ReasonForm
              reason={dialog.reason}
              busy={revise.isPending}
              error={revise.error}
              onSubmit={({ label, letter }) => revise.mutate({ reason: dialog.reason, label, letter })}
              onCancel={close}
            />
            <Versions code={dialog.reason.code} />
          </Stack>
        )}
      </Modal>
      <ConfirmModal
        opened={dialog?.kind === 'retire'}
        title={dialog?.kind === 'retire' ? `Retirer le motif ${dialog.reason.code}` : ''}
        confirmLabel="Retirer le motif"
        busy={retire.isPending}
        error={retire.error}
        onConfirm={() => dialog?.kind === 'retire' && retire.mutate(dialog.reason)}
        onClose={close}
      >
        <Text size="sm">
          « {dialog?.kind === 'retire' ? dialog.reason.label : ''} » ne sera plus proposé aux valideurs ; il reste
          affiché sur les refus qui l’ont utilisé.
        </Text>
      </ConfirmModal>
    </Page>
  );
}
