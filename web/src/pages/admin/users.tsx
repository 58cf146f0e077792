/**
 * Users and rights (`/admin/utilisateurs`): every user (filtered by name, role and status), created with its role,
 * CFAs and rights (checkboxes grouped by activity, labelled as domain/rights.ts names them; the role's bundle by
 * default), edited, revoked, given a new token (shown once, with a copy button) or sent an invitation by e-mail.
 */
import {
  Button,
  Checkbox,
  Code,
  CopyButton,
  Fieldset,
  Group,
  Menu,
  Modal,
  MultiSelect,
  NativeSelect,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { createdUserResponse, invitationResponse, userListResponse } from '../../../../api/schemas/accounts';
import { BUNDLES, mayHold, RIGHTS, type Right as DomainRight, type Role } from '../../../../domain/rights';
import { get, patch, post } from '../../api';
import { ErrorMessage, Page } from '../../components/page';
import { ListPagination, ListTable, type Column } from '../../components/table';
import { dateTime } from '../../format';
import { useSession } from '../../session';
import { ConfirmModal, fieldError, messageOf, notify, ROLE_LABELS, useAllCfas, Tag } from './common';

type User = z.output<typeof userListResponse>['items'][number];
type CreatedUser = z.output<typeof createdUserResponse>;

const PAGE_SIZE = 25;

/** The rights, grouped by what they are for, in the order of domain/rights.ts. */
const RIGHT_GROUPS: { title: string; rights: DomainRight[] }[] = [
  {
    title: 'Consultation',
    rights: ['pro-formas:read', 'pro-formas:export', 'contracts:read', 'mandates:read'],
  },
  {
    title: 'Portail CFA',
    rights: [
      'installments:read',
      'pro-formas:generate',
      'pro-formas:deposit',
      'pro-formas:cancel',
      'my-cfa:read',
      'my-cfa:manage',
      'cfa-users:manage',
    ],
  },
  {
    title: 'Validation',
    rights: [
      'validation-queue:read',
      'validation:claim',
      'pro-formas:decide',
      'pro-formas:correct',
      'refusal-reasons:read',
    ],
  },
  {
    title: 'Pilotage et administration',
    rights: [
      'audit:read',
      'metrics:read',
      'pro-formas:administer',
      'payments:confirm',
      'payment-runs:read',
      'payment-runs:manage',
      'admin:manage',
    ],
  },
];

const STATUS = {
  INVITED: { label: 'Invité', color: 'blue' },
  ACTIVE: { label: 'Actif', color: 'teal' },
  REVOKED: { label: 'Révoqué', color: 'red' },
} as const;

const ROLES = Object.keys(ROLE_LABELS) as Role[];

function useAllUsers() {
  return useQuery({
    queryKey: ['admin', 'users'],
    queryFn: async () => {
      const items: User[] = [];
      for (let page = 1; ; page++) {
        const answer = await get<z.output<typeof userListResponse>>('/api/admin/users', { page, pageSize: 200 });
        items.push(...answer.items);
        if (items.length >= answer.total || answer.items.length === 0) return items;
      }
    },
  });
}

/** The rights a user of `role` may hold, as checkboxes grouped by activity. */
function RightsFields({
  role,
  value,
  onChange,
  error,
}: {
  role: Role;
  value: string[];
  onChange(rights: string[]): void;
  error?: string;
}) {
  const toggle = (right: string, on: boolean) => onChange(on ? [...value, right] : value.filter((r) => r !== right));
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Text fw={600} size="sm">
          Droits
        </Text>
        <Button variant="subtle" size="compact-sm" onClick={() => onChange([...BUNDLES[role]])}>
          Droits habituels du rôle
        </Button>
      </Group>
      {error && (
        <Text c="red.8" size="sm" role="alert">
          {error}
        </Text>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        {RIGHT_GROUPS.map((group) => {
          const rights = group.rights.filter((r) => mayHold(role, r));
          if (rights.length === 0) return null;
          return (
            <Fieldset key={group.title} legend={group.title} variant="filled" p="sm">
              <Stack gap={6}>
                {rights.map((right) => (
                  <Checkbox
                    key={right}
                    label={RIGHTS[right].label}
                    checked={value.includes(right)}
                    onChange={(e) => toggle(right, e.currentTarget.checked)}
                  />
                ))}
              </Stack>
            </Fieldset>
          );
        })}
      </SimpleGrid>
    </Stack>
  );
}

interface UserDraft {
  role: Role;
  name: string;
  email: string;
  cfaIds: string[];
  rights: string[];
  invite: boolean;
}

/** The form of a new user or of a user's changes. */
function UserForm({
  initial,
  isNew,
  busy,
  error,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial: UserDraft;
  isNew: boolean;
  busy: boolean;
  error: unknown;
  submitLabel: string;
  onSubmit(draft: UserDraft): void;
  onCancel(): void;
}) {
  const [draft, setDraft] = useState(initial);
  const cfas = useAllCfas();
  const set = (change: Partial<UserDraft>) => setDraft((d) => ({ ...d, ...change }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(draft);
  };
  return (
    <form onSubmit={submit}>
      <Stack>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <TextInput
            label="Nom"
            value={draft.name}
            onChange={(e) => set({ name: e.currentTarget.value })}
            required
            error={fieldError(error, 'name')}
            data-autofocus
          />
          <TextInput
            label="E-mail"
            type="email"
            value={draft.email}
            onChange={(e) => set({ email: e.currentTarget.value })}
            required
            error={fieldError(error, 'email')}
          />
          <NativeSelect
            label="Rôle"
            description="Changer de rôle donne les droits habituels du nouveau rôle."
            value={draft.role}
            onChange={(e) => {
              const role = e.currentTarget.value as Role;
              set({ role, rights: [...BUNDLES[role]], cfaIds: role === 'cfa' ? draft.cfaIds : [] });
            }}
            data={ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] ?? r }))}
          />
          {draft.role === 'cfa' && (
            <MultiSelect
              label="CFA"
              description="Les CFA pour lesquels l’utilisateur agit (au moins un)"
              data={(cfas.data ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.siret})` }))}
              value={draft.cfaIds}
              onChange={(cfaIds) => set({ cfaIds })}
              searchable
              required
              error={fieldError(error, 'cfaIds') ?? fieldError(error, 'cfaId')}
            />
          )}
        </SimpleGrid>
        <RightsFields
          role={draft.role}
          value={draft.rights}
          onChange={(rights) => set({ rights })}
          error={fieldError(error, 'rights')}
        />
        {isNew && (
          <Switch
            label="Inviter par e-mail : l’utilisateur reçoit un lien qui lui donne son jeton (aucun jeton affiché ici)"
            checked={draft.invite}
            onChange={(e) => set({ invite: e.currentTarget.checked })}
          />
        )}
        <ErrorMessage error={error} title="Enregistrement refusé" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Annuler
          </Button>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** A token, shown once: copied now or lost. */
function TokenModal({ created, onClose }: { created: CreatedUser | null; onClose(): void }) {
  return (
    <Modal opened={created !== null} onClose={onClose} title={`Jeton de ${created?.name ?? ''}`} size="lg">
      {created?.token && (
        <Stack>
          <Text size="sm">
            Ce jeton n’est montré qu’une seule fois : copiez-le maintenant et transmettez-le à {created.name} par un
            canal sûr.
            {created.tokenExpiresAt && ` Il est valable jusqu’au ${dateTime(created.tokenExpiresAt)}.`}
          </Text>
          <Code block style={{ wordBreak: 'break-all' }}>
            {created.token}
          </Code>
          <Group justify="flex-end">
            <CopyButton value={created.token}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy}>
                  {copied ? 'Jeton copié' : 'Copier le jeton'}
                </Button>
              )}
            </CopyButton>
            <Button onClick={onClose}>J’ai copié le jeton</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

type Dialog =
  | { kind: 'create' }
  | { kind: 'edit'; user: User }
  | { kind: 'revoke'; user: User }
  | { kind: 'token'; user: User }
  | null;

const body = (draft: UserDraft) => ({
  role: draft.role,
  name: draft.name.trim(),
  email: draft.email.trim(),
  ...(draft.role === 'cfa' && { cfaIds: draft.cfaIds }),
  rights: draft.rights,
});

export function UsersPage() {
  const client = useQueryClient();
  const { user: me } = useSession();
  const users = useAllUsers();
  const cfas = useAllCfas();
  const [search, setSearch] = useState('');
  const [role, setRole] = useState('');
  const [status, setStatus] = useState('');
  const [page, setPage] = useState(1);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [created, setCreated] = useState<CreatedUser | null>(null);

  const cfaNames = useMemo(() => new Map(cfas.data?.map((c) => [c.id, c.name])), [cfas.data]);
  const filtered = useMemo(() => {
    const words = search.trim().toLowerCase();
    return users.data?.filter(
      (u) =>
        (!words || u.name.toLowerCase().includes(words) || u.email.toLowerCase().includes(words)) &&
        (!role || u.role === role) &&
        (!status || u.status === status),
    );
  }, [users.data, search, role, status]);
  const rows = filtered?.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);

  const refresh = () => client.invalidateQueries({ queryKey: ['admin', 'users'] });
  const close = () => setDialog(null);
  const create = useMutation({
    mutationFn: (draft: UserDraft) =>
      post<CreatedUser>('/api/admin/users', { ...body(draft), ...(draft.invite && { invite: true }) }),
    onSuccess: async (user) => {
      await refresh();
      close();
      if (user.token) setCreated(user);
      else notify('teal', 'Utilisateur invité', `Une invitation part vers ${user.email}.`);
    },
  });
  const edit = useMutation({
    mutationFn: ({ user, draft }: { user: User; draft: UserDraft }) =>
      patch<User>(`/api/admin/users/${user.id}`, body(draft)),
    onSuccess: async (user) => {
      await refresh();
      close();
      notify('teal', 'Utilisateur modifié', `${user.name} est enregistré.`);
    },
  });
  const revoke = useMutation({
    mutationFn: (user: User) => post<User>(`/api/admin/users/${user.id}/revoke`),
    onSuccess: async (user) => {
      await refresh();
      close();
      notify('teal', 'Accès révoqué', `${user.name} ne peut plus se connecter.`);
    },
  });
  const token = useMutation({
    mutationFn: (user: User) => post<CreatedUser>(`/api/admin/users/${user.id}/token`),
    onSuccess: async (user) => {
      await refresh();
      close();
      setCreated(user);
    },
  });
  const invite = useMutation({
    mutationFn: (user: User) => post<z.output<typeof invitationResponse>>(`/api/admin/users/${user.id}/invitation`),
    onSuccess: async (invitation, user) => {
      await refresh();
      notify(
        'teal',
        'Invitation envoyée',
        `Un lien part vers ${user.email}, valable jusqu’au ${dateTime(invitation.expiresAt)}.`,
      );
    },
    onError: (error) => notify('red', 'Invitation impossible', messageOf(error)),
  });
  const open = (next: Dialog) => {
    for (const m of [create, edit, revoke, token]) m.reset();
    setDialog(next);
  };

  const columns: Column<User>[] = [
    {
      key: 'name',
      header: 'Utilisateur',
      cell: (u) => (
        <Stack gap={0}>
          <Text size="sm" fw={600}>
            {u.name}
          </Text>
          <Text size="xs" c="dimmed">
            {u.email}
          </Text>
        </Stack>
      ),
    },
    { key: 'role', header: 'Rôle', cell: (u) => ROLE_LABELS[u.role] ?? u.role },
    {
      key: 'cfas',
      header: 'CFA',
      cell: (u) => (u.cfaIds.length === 0 ? '—' : u.cfaIds.map((id) => cfaNames.get(id) ?? id).join(', ')),
    },
    {
      key: 'rights',
      header: 'Droits',
      cell: (u) => (
        <Text size="sm" title={u.rights.map((r) => RIGHTS[r as DomainRight]?.label ?? r).join('\n')}>
          {u.rights.length} droit{u.rights.length > 1 ? 's' : ''}
        </Text>
      ),
    },
    {
      key: 'status',
      header: 'Statut',
      cell: (u) => <Tag color={STATUS[u.status].color}>{STATUS[u.status].label}</Tag>,
    },
    {
      key: 'expires',
      header: 'Jeton valable jusqu’au',
      cell: (u) => (u.status === 'ACTIVE' ? (u.tokenExpiresAt ? dateTime(u.tokenExpiresAt) : 'Sans expiration') : '—'),
    },
    {
      key: 'actions',
      header: 'Actions',
      cell: (u) => (
        <Menu position="bottom-end">
          <Menu.Target>
            <Button size="compact-sm" variant="default" aria-label={`Actions pour ${u.name}`}>
              Actions
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item onClick={() => open({ kind: 'edit', user: u })}>Modifier</Menu.Item>
            <Menu.Item onClick={() => open({ kind: 'token', user: u })}>Nouveau jeton</Menu.Item>
            <Menu.Item onClick={() => invite.mutate(u)}>Envoyer une invitation</Menu.Item>
            {u.status !== 'REVOKED' && u.id !== me?.id && (
              <Menu.Item color="red" onClick={() => open({ kind: 'revoke', user: u })}>
                Révoquer l’accès
              </Menu.Item>
            )}
          </Menu.Dropdown>
        </Menu>
      ),
    },
  ];

  return (
    <Page
      title="Utilisateurs et droits"
      actions={<Button onClick={() => open({ kind: 'create' })}>Nouvel utilisateur</Button>}
    >
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label="Rechercher"
          placeholder="Nom ou e-mail"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setPage(1);
          }}
          w={260}
        />
        <NativeSelect
          label="Rôle"
          value={role}
          onChange={(e) => {
            setRole(e.currentTarget.value);
            setPage(1);
          }}
          data={[
            { value: '', label: 'Tous les rôles' },
            ...ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] ?? r })),
          ]}
        />
        <NativeSelect
          label="Statut"
          value={status}
          onChange={(e) => {
            setStatus(e.currentTarget.value);
            setPage(1);
          }}
          data={[
            { value: '', label: 'Tous les statuts' },
            ...Object.entries(STATUS).map(([value, s]) => ({ value, label: s.label })),
          ]}
        />
      </Group>
      <ErrorMessage error={users.error} title="Liste indisponible" />
      <ListTable
        caption="Les utilisateurs"
        columns={columns}
        rows={rows}
        rowKey={(u) => u.id}
        empty="Aucun utilisateur ne correspond."
        skeletonRows={10}
      />
      <ListPagination page={page} pageSize={PAGE_SIZE} total={filtered?.length} onChange={setPage} />

      <Modal opened={dialog?.kind === 'create'} onClose={close} title="Nouvel utilisateur" size="xl">
        <UserForm
          initial={{
            role: 'validator',
            name: '',
            email: '',
            cfaIds: [],
            rights: [...BUNDLES.validator],
            invite: false,
          }}
          isNew
          busy={create.isPending}
          error={create.error}
          submitLabel="Créer l’utilisateur"
          onSubmit={(draft) => create.mutate(draft)}
          onCancel={close}
        />
      </Modal>
      <Modal
        opened={dialog?.kind === 'edit'}
        onClose={close}
        title={dialog?.kind === 'edit' ? `Modifier ${dialog.user.name}` : ''}
        size="xl"
      >
        {dialog?.kind === 'edit' && (
          <UserForm
            initial={{
              role: dialog.user.role,
              name: dialog.user.name,
              email: dialog.user.email,
              cfaIds: dialog.user.cfaIds,
              rights: dialog.user.rights,
              invite: false,
            }}
            isNew={false}
            busy={edit.isPending}
            error={edit.error}
            submitLabel="Enregistrer"
            onSubmit={(draft) => edit.mutate({ user: dialog.user, draft })}
            onCancel={close}
          />
        )}
      </Modal>
      <ConfirmModal
        opened={dialog?.kind === 'revoke'}
        title={dialog?.kind === 'revoke' ? `Révoquer l’accès de ${dialog.user.name}` : ''}
        confirmLabel="Révoquer l’accès"
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => dialog?.kind === 'revoke' && revoke.mutate(dialog.user)}
        onClose={close}
      >
        <Text size="sm">
          Son jeton et son invitation en cours cessent aussitôt de valoir. Une nouvelle invitation rétablit l’accès.
        </Text>
      </ConfirmModal>
      <ConfirmModal
        opened={dialog?.kind === 'token'}
        title={dialog?.kind === 'token' ? `Nouveau jeton pour ${dialog.user.name}` : ''}
        confirmLabel="Donner un nouveau jeton"
        color="indigo"
        busy={token.isPending}
        error={token.error}
        onConfirm={() => dialog?.kind === 'token' && token.mutate(dialog.user)}
        onClose={close}
      >
        <Text size="sm">L’ancien jeton cesse aussitôt de valoir. Le nouveau n’est montré qu’une fois.</Text>
      </ConfirmModal>
      <TokenModal created={created} onClose={() => setCreated(null)} />
    </Page>
  );
}
