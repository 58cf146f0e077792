/**
 * What the admin pages share: the guard of each page (its right, else the « page introuvable » state), links to pro
 * formas, every CFA for the selects, IBANs in groups of four, the French labels the API leaves to the pages, a
 * section title, a download button that says its errors in words, and a drop zone with its upload progress.
 */
import { Anchor, Badge, Button, Group, Modal, Paper, Progress, Stack, Text, Title } from '@mantine/core';
import { Dropzone } from '@mantine/dropzone';
import { useQuery } from '@tanstack/react-query';
import { useRef, type ReactNode } from 'react';
import { Link } from 'react-router';
import type { z } from 'zod';
import type { cfaListResponse } from '../../../../api/schemas/admin';
import { ApiError, get } from '../../api';
import { messageOf, notify } from '../../components/notify';
import { ErrorMessage, NotFoundPage } from '../../components/page';
import { percent } from '../../format';
import { useSession } from '../../session';
import type { Right } from '../../types';

export type Cfa = z.output<typeof cfaListResponse>['items'][number];

/** The state of an address the user may not see: the same as an unknown one (components/page.tsx). */
export const NotAllowed = NotFoundPage;

/** A page for the users holding `right`. */
export function RequireRight({ right, children }: { right: Right; children: ReactNode }) {
  const { can } = useSession();
  return can(right) ? <>{children}</> : <NotAllowed />;
}

/** A short status: a pale background of its colour, dark text (contrast well above 4.5:1). */
export function Tag({ color = 'indigo', children }: { color?: string; children: ReactNode }) {
  return (
    <Badge
      color={color}
      bg={`${color}.1`}
      c="dark.9"
      variant="light"
      style={{ textTransform: 'none', minWidth: 'max-content' }}
    >
      {children}
    </Badge>
  );
}

/** A pro forma's number, linking to its page. */
export function ProFormaLink({ number }: { number: string }) {
  return (
    <Anchor component={Link} to={`/pro-formas/${number}`} ff="monospace" size="sm" style={{ whiteSpace: 'nowrap' }}>
      {number}
    </Anchor>
  );
}

/** Several pro forma numbers, each a link, comma-separated. */
export function ProFormaLinks({ numbers, suffix }: { numbers: readonly string[]; suffix?: (n: string) => string }) {
  if (numbers.length === 0) return <>—</>;
  return (
    <>
      {numbers.map((n, i) => (
        <span key={n}>
          {i > 0 && ', '}
          <ProFormaLink number={n} />
          {suffix?.(n)}
        </span>
      ))}
    </>
  );
}

/** « FR76 3000 6000 0112 3456 7890 189 ». */
export { formatIban } from '../../../../domain/identifiers';

export const SETTLEMENT_LABELS: Record<string, string> = {
  DEDUCTION: 'Déduction des prochains virements',
  REMBOURSEMENT: 'Remboursement par le CFA',
};

export { ROLE_LABELS } from '../../labels';

/** A rate of the API (a fraction, or null without a denominator). */
export const rate = (value: number | null): string => (value === null ? '—' : percent(value));

/** Every CFA (the API pages them by 200 at most), for the selects and the names of ids. */
export function useAllCfas(enabled = true) {
  return useQuery({
    queryKey: ['admin', 'cfas', 'all'],
    enabled,
    queryFn: async () => {
      const items: Cfa[] = [];
      for (let page = 1; ; page++) {
        const answer = await get<z.output<typeof cfaListResponse>>('/api/admin/cfas', { page, pageSize: 200 });
        items.push(...answer.items);
        if (items.length >= answer.total || answer.items.length === 0) return items;
      }
    },
  });
}

/** A section of a page: its h2 and what it holds. */
export function Section({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4">
            {title}
          </Title>
          {actions && <Group gap="xs">{actions}</Group>}
        </Group>
        {children}
      </Stack>
    </Paper>
  );
}

export { DownloadButton } from '../../components/download-button';

/**
 * A drop zone for the mouse (drag-and-drop, or a click on it) and a button for everyone (the keyboard, screen
 * readers), the rules in words, and the upload's progress under them. `label` names the button.
 */
export function UploadZone({
  label,
  rules,
  accept,
  maxSize,
  progress,
  onFile,
}: {
  label: string;
  rules: ReactNode;
  accept?: string[];
  maxSize?: number;
  /** 0 to 1 while an upload runs; null otherwise. */
  progress: number | null;
  onFile(file: File): void;
}) {
  const openRef = useRef<() => void>(null);
  const busy = progress !== null;
  return (
    <Stack gap="xs">
      <Dropzone
        openRef={openRef}
        tabIndex={-1}
        activateOnKeyboard={false}
        disabled={busy}
        multiple={false}
        accept={accept}
        maxSize={maxSize}
        inputProps={{ 'aria-hidden': true }}
        onDrop={(files) => files[0] && onFile(files[0])}
        onReject={(rejections) =>
          notify('red', 'Fichier refusé', rejections[0]?.errors.map((e) => e.message).join(' ; ') ?? 'Fichier refusé.')
        }
      >
        <Stack gap={4} align="center" py="sm">
          <Text size="sm" ta="center">
            Glissez le fichier ici, ou cliquez pour le choisir. {rules}
          </Text>
        </Stack>
      </Dropzone>
      <Group>
        <Button variant="default" onClick={() => openRef.current?.()} disabled={busy}>
          {label}
        </Button>
      </Group>
      {busy && (
        <Stack gap={2}>
          <Progress value={Math.round(progress * 100)} aria-label="Progression de l’envoi" animated={progress >= 1} />
          <Text size="xs" c="dimmed" aria-live="polite">
            {progress >= 1 ? 'Fichier reçu : traitement en cours…' : `Envoi : ${percent(progress)}`}
          </Text>
        </Stack>
      )}
    </Stack>
  );
}

export { messageOf, notify };

/** The API's issue about one field of a 422 (shown under that field), if any. */
export function fieldError(error: unknown, path: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.issues.find((i) => i.path === path || i.path.startsWith(`${path}.`))?.message;
}

/** Asks before an action that cannot be taken back; the action's error stays in the dialog, in words. */
export function ConfirmModal({
  opened,
  title,
  children,
  confirmLabel,
  color = 'red',
  busy,
  error,
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  color?: string;
  busy: boolean;
  error: unknown;
  onConfirm(): void;
  onClose(): void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack>
        {children}
        <ErrorMessage error={error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Annuler
          </Button>
          <Button color={color} onClick={onConfirm} loading={busy}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
