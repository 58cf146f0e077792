/**
 * « Utilisateurs » of a CFA, for its user managers (`cfa-users:manage`): the CFA's users with their status, rights and
 * pending invitation (GET /api/my-cfa/users); invite a user with the rights chosen among the manager's own (POST),
 * change a user's name and rights (PATCH /api/my-cfa/users/:userId), send a new invitation, revoke an access.
 */
import { Button, Checkbox, Group, Menu, Modal, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { GRANTABLE_RIGHTS, isRight, mayHold, RIGHTS } from '../../../../domain/rights';
import { post, patch, get } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { date, dateTime } from '../../format';
import { useSession } from '../../session';
import type { Right } from '../../types';
import { plural, USER_STATUS } from './labels';
import { notify, notifyError } from '../../components/notify';
import { Tag } from './tag';
import type { CfaUser, CfaUserList } from './types';

const PAGE_SIZE = 50;
const USERS_KEY = ['my-cfa', 'users'];

/** Rights a manager usually keeps for itself: a new user gets the others by default. */
const MANAGER_ONLY: readonly Right[] = ['cfa-users:manage', 'my-cfa:manage'];

/** The rights a manager may give: those it holds that a CFA user may hold, in the table's order. */
function useGrantable(): Right[] {
  const { user } = useSession();
  const held = user?.rights ?? [];
  return GRANTABLE_RIGHTS.filter((r) => mayHold('cfa', r) && held.includes(r));
}

/** A right in words (domain/rights.ts), or its code when unknown. */
const rightLabel = (right: string): string => (isRight(right) ? RIGHTS[right].label : right);

function RightsField({
  grantable,
  value,
  onChange,
  extra = [],
}: {
  grantable: Right[];
  value: string[];
  onChange(value: string[]): void;
  /** Rights the user holds that the manager does not: shown, not changeable. */
  extra?: string[];
}) {
  return (
    <Checkbox.Group label="Droits" description="Parmi ceux que vous détenez." value={value} onChange={onChange}>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing={6} mt={6}>
        {grantable.map((r) => (
          <Checkbox key={r} value={r} label={rightLabel(r)} />
        ))}
        {extra.map((r) => (
          <Checkbox key={r} value={r} label={rightLabel(r)} disabled />
        ))}
      </SimpleGrid>
    </Checkbox.Group>
  );
}

function InviteModal({ onClose }: { onClose(): void }) {
  const { user } = useSession();
  const client = useQueryClient();
  const grantable = useGrantable();
  const cfas = user?.cfas ?? [];
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [rights, setRights] = useState<string[]>(grantable.filter((r) => !MANAGER_ONLY.includes(r)));
  const [cfaIds, setCfaIds] = useState<string[]>(cfas.map((c) => c.id));
  const invite = useMutation({
    mutationFn: () =>
      post<CfaUser>('/api/my-cfa/users', {
        name: name.trim(),
        email: email.trim(),
        rights,
        ...(cfas.length > 1 ? { cfaIds } : {}),
      }),
    onSuccess: (created) => {
      void client.invalidateQueries({ queryKey: USERS_KEY });
      notify('teal', 'Invitation envoyée', `${created.name} reçoit par e-mail le lien qui lui donne son accès.`);
      onClose();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate();
  };
  return (
    <Modal
      opened
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Fermer la fenêtre' }}
      title="Inviter un utilisateur"
      size="lg"
    >
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Nom" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput
            label="Adresse e-mail"
            type="email"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
          />
          <RightsField grantable={grantable} value={rights} onChange={setRights} />
          {cfas.length > 1 && (
            <Checkbox.Group label="CFA" value={cfaIds} onChange={setCfaIds}>
              <Stack gap={6} mt={6}>
                {cfas.map((c) => (
                  <Checkbox key={c.id} value={c.id} label={`${c.name} (SIRET ${c.siret})`} />
                ))}
              </Stack>
            </Checkbox.Group>
          )}
          <ErrorMessage error={invite.error} title="Invitation impossible" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Annuler
            </Button>
            <Button type="submit" loading={invite.isPending}>
              Envoyer l’invitation
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function EditModal({ target, onClose }: { target: CfaUser; onClose(): void }) {
  const client = useQueryClient();
  const grantable = useGrantable();
  const [name, setName] = useState(target.name);
  const [rights, setRights] = useState<string[]>(target.rights.filter((r) => grantable.includes(r as Right)));
  const extra = target.rights.filter((r) => !grantable.includes(r as Right));
  const save = useMutation({
    mutationFn: () =>
      patch<CfaUser>(`/api/my-cfa/users/${target.id}`, { name: name.trim(), rights: [...rights, ...extra] }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: USERS_KEY });
      notify('teal', 'Utilisateur modifié', `${name.trim()} est à jour.`);
      onClose();
    },
  });
  return (
    <Modal
      opened
      onClose={onClose}
      closeButtonProps={{ 'aria-label': 'Fermer la fenêtre' }}
      title={`Modifier ${target.name}`}
      size="lg"
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          <TextInput label="Nom" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <RightsField grantable={grantable} value={rights} onChange={setRights} extra={extra} />
          <ErrorMessage error={save.error} title="Modification impossible" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Annuler
            </Button>
            <Button type="submit" loading={save.isPending}>
              Enregistrer
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function RevokeModal({ target, onClose }: { target: CfaUser; onClose(): void }) {
  const client = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => post<CfaUser>(`/api/my-cfa/users/${target.id}/revoke`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: USERS_KEY });
      notify('teal', 'Accès révoqué', `${target.name} n’a plus accès.`);
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} closeButtonProps={{ 'aria-label': 'Fermer la fenêtre' }} title="Révoquer l’accès">
      <Stack>
        <Text>
          {target.name} ({target.email}) ne pourra plus se connecter : son jeton et son invitation en cours cessent de
          valoir. Une nouvelle invitation lui rendrait l’accès.
        </Text>
        <ErrorMessage error={revoke.error} title="Révocation impossible" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Annuler
          </Button>
          <Button color="red" loading={revoke.isPending} onClick={() => revoke.mutate()}>
            Révoquer
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

type Dialog = { kind: 'invite' } | { kind: 'edit' | 'revoke'; user: CfaUser } | null;

function RowActions({ user, onOpen }: { user: CfaUser; onOpen(dialog: Dialog): void }) {
  const client = useQueryClient();
  const reinvite = useMutation({
    mutationFn: () => post<{ expiresAt: string }>(`/api/my-cfa/users/${user.id}/invitation`),
    onSuccess: (invitation) => {
      void client.invalidateQueries({ queryKey: USERS_KEY });
      notify(
        'teal',
        'Invitation envoyée',
        `Nouveau lien envoyé à ${user.email}, valable jusqu’au ${dateTime(invitation.expiresAt)}.`,
      );
    },
    onError: (error) => notifyError('Invitation impossible', error),
  });
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button size="xs" variant="default" loading={reinvite.isPending} aria-label={`Actions pour ${user.name}`}>
          Actions
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Item onClick={() => onOpen({ kind: 'edit', user })}>Modifier le nom et les droits</Menu.Item>
        <Menu.Item onClick={() => reinvite.mutate()}>
          {user.status === 'REVOKED' ? 'Rétablir l’accès par une invitation' : 'Renvoyer l’invitation'}
        </Menu.Item>
        {user.status !== 'REVOKED' && (
          <Menu.Item color="red" onClick={() => onOpen({ kind: 'revoke', user })}>
            Révoquer l’accès
          </Menu.Item>
        )}
      </Menu.Dropdown>
    </Menu>
  );
}

export function UsersPage() {
  const { user: me } = useSession();
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState<Dialog>(null);
  const users = useQuery({
    queryKey: [...USERS_KEY, page],
    queryFn: () => get<CfaUserList>('/api/my-cfa/users', { page, pageSize: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  const columns: Column<CfaUser>[] = [
    {
      key: 'name',
      header: 'Nom',
      cell: (u) => (
        <>
          <Text fw={600} size="sm">
            {u.name}
            {u.id === me?.id ? ' (vous)' : ''}
          </Text>
          <Text size="xs" c="dimmed">
            {u.email}
          </Text>
        </>
      ),
    },
    {
      key: 'status',
      header: 'Statut',
      cell: (u) => <Tag color={USER_STATUS[u.status].color}>{USER_STATUS[u.status].label}</Tag>,
    },
    {
      key: 'rights',
      header: 'Droits',
      cell: (u) => (
        <Text size="sm" title={u.rights.map(rightLabel).join('\n')}>
          {plural(u.rights.length, 'droit')}
        </Text>
      ),
    },
    {
      key: 'invitation',
      header: 'Invitation',
      cell: (u) =>
        u.invitation
          ? `${u.invitation.sentAt ? `Envoyée le ${dateTime(u.invitation.sentAt)}` : 'En cours d’envoi'}, valable jusqu’au ${date(u.invitation.expiresAt)}`
          : u.status === 'REVOKED' && u.revokedAt
            ? `Accès révoqué le ${date(u.revokedAt)}`
            : '—',
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      cell: (u) =>
        u.id === me?.id ? (
          <Text size="xs">Votre compte</Text>
        ) : u.manageable ? (
          <RowActions user={u} onOpen={setDialog} />
        ) : (
          <Text size="xs">Géré par l’Opco</Text>
        ),
    },
  ];

  return (
    <Page
      title="Utilisateurs"
      actions={<Button onClick={() => setDialog({ kind: 'invite' })}>Inviter un utilisateur</Button>}
    >
      <Text size="sm">
        Les personnes de votre CFA qui ont accès au portail. Vous ne donnez que des droits que vous détenez ; une
        invitation envoie par e-mail un lien à usage unique qui donne son accès à l’utilisateur.
      </Text>
      <ErrorMessage error={users.error} title="Utilisateurs indisponibles" />
      <ListTable
        caption="Utilisateurs du CFA"
        columns={columns}
        rows={users.data?.items}
        rowKey={(u) => u.id}
        loading={users.isFetching}
        skeletonRows={4}
        empty="Aucun utilisateur."
      />
      <ListPagination page={page} pageSize={PAGE_SIZE} total={users.data?.total} onChange={setPage} />
      {dialog?.kind === 'invite' && <InviteModal onClose={() => setDialog(null)} />}
      {dialog?.kind === 'edit' && <EditModal target={dialog.user} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'revoke' && <RevokeModal target={dialog.user} onClose={() => setDialog(null)} />}
    </Page>
  );
}
