import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { NotFoundPage } from './components/page';
import { RouteError } from './components/route-error';
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

/** The side navigation, in this order; the shell shows each user the links its rights allow. */
const sections: NavSection[] = [...cfaNav, ...deskNav, ...sharedNav, ...adminNav];

const routes: RouteObject[] = [
  { path: '/connexion', element: <LoginPage /> },
  { path: '/invitation', element: <InvitationPage /> },
  {
    element: <Shell sections={sections} />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <Home /> },
      ...cfaRoutes,
      ...deskRoutes,
      ...sharedRoutes,
      ...adminRoutes,
      { path: '*', element: <NotFoundPage /> },
    ],
  },
];

export const router = createBrowserRouter(routes);
