import { Alert, Anchor, Group, Stack, Text, Title } from '@mantine/core';
import { useEffect, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api';

/** A page's title (its h1 and the tab's title) and its actions, above its content. */
export function Page({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  useEffect(() => {
    document.title = `${title} — Factures CFA`;
  }, [title]);
  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <Title order={1} size="h2">
          {title}
        </Title>
        {actions && <Group gap="xs">{actions}</Group>}
      </Group>
      {children}
    </Stack>
  );
}

/** An API error in words (its message and each field's issue); nothing when there is none. */
export function ErrorMessage({ error, title = 'Action impossible' }: { error: unknown; title?: string }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : null;
  return (
    <Alert color="red" title={title} role="alert">
      {apiError ? apiError.message : error instanceof Error ? error.message : String(error)}
      {apiError && apiError.issues.length > 0 && (
        <ul style={{ margin: '0.25rem 0 0', paddingLeft: '1.25rem' }}>
          {apiError.issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              {issue.path ? <strong>{issue.path} : </strong> : null}
              {issue.message}
            </li>
          ))}
        </ul>
      )}
    </Alert>
  );
}

/**
 * An unknown address, and a page the user's rights do not open: the same words, so that nothing tells whether it
 * exists.
 */
export function NotFoundPage() {
  return (
    <Page title="Page introuvable">
      <Stack>
        <Text>Cette adresse ne correspond à aucune page, ou vos droits ne permettent pas de la voir.</Text>
        <Anchor component={Link} to="/">
          Retour à l’accueil
        </Anchor>
      </Stack>
    </Page>
  );
}
