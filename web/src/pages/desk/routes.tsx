import { Anchor, Center, Loader, Text } from '@mantine/core';
import { lazy, Suspense, type ReactNode } from 'react';
import { Link, type RouteObject } from 'react-router';
import { Page } from '../../components/page';
import type { NavSection } from '../../nav';
import { useSession } from '../../session';
import type { Right } from '../../types';
import { QueuePage } from './queue-page';

/**
 * The validation desk: the queue (« /validation ») and the invoice page (« /validation/:number », loaded on demand:
 * it brings pdf.js). Both need the right to read the queue; without it, the page says so.
 */

// pdf.js weighs more than the rest of the pages: loaded when an invoice is opened.
const InvoicePage = lazy(() => import('./invoice-page').then((m) => ({ default: m.InvoicePage })));

function Forbidden() {
  return (
    <Page title="Accès refusé">
      <Text>Vos droits ne permettent pas de consulter la file de validation.</Text>
      <Anchor component={Link} to="/">
        Retour à l’accueil
      </Anchor>
    </Page>
  );
}

function RequireRight({ right, children }: { right: Right; children: ReactNode }) {
  const { can } = useSession();
  return can(right) ? children : <Forbidden />;
}

export const deskNav: NavSection[] = [
  {
    title: 'Validation',
    items: [{ label: 'File de validation', to: '/validation', right: 'validation-queue:read' }],
  },
];

export const deskRoutes: RouteObject[] = [
  {
    path: '/validation',
    element: (
      <RequireRight right="validation-queue:read">
        <QueuePage />
      </RequireRight>
    ),
  },
  {
    path: '/validation/:number',
    element: (
      <RequireRight right="validation-queue:read">
        <Suspense
          fallback={
            <Center h={300}>
              <Loader aria-label="Chargement de la page" />
            </Center>
          }
        >
          <InvoicePage />
        </Suspense>
      </RequireRight>
    ),
  },
];
