import { Anchor, Stack, Text } from '@mantine/core';
import { createBrowserRouter, Link, Navigate, type RouteObject } from 'react-router';
import { Page } from './components/page';
import type { NavSection } from './nav';
import { adminNav, adminRoutes } from './pages/admin/routes';
import { cfaNav, cfaRoutes } from './pages/cfa/routes';
import { deskNav, deskRoutes } from './pages/desk/routes';
import { InvitationPage, LoginPage } from './pages/login';
import { sharedNav, sharedRoutes } from './pages/shared/routes';
import { useSession } from './session';
import { Shell } from './shell';

/** Each role's first page. */
function Home() {
  const { user } = useSession();
  if (user?.role === 'cfa') return <Navigate to="/tableau-de-bord" replace />;
  if (user?.role === 'validator') return <Navigate to="/validation" replace />;
  return <Navigate to="/admin" replace />;
}

function NotFound() {
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

/** The side navigation, in this order; the shell shows each user the links its rights allow. */
const sections: NavSection[] = [...cfaNav, ...deskNav, ...sharedNav, ...adminNav];

const routes: RouteObject[] = [
  { path: '/connexion', element: <LoginPage /> },
  { path: '/invitation', element: <InvitationPage /> },
  {
    element: <Shell sections={sections} />,
    children: [
      { index: true, element: <Home /> },
      ...cfaRoutes,
      ...deskRoutes,
      ...sharedRoutes,
      ...adminRoutes,
      { path: '*', element: <NotFound /> },
    ],
  },
];

export const router = createBrowserRouter(routes);
