import type { RouteObject } from 'react-router';
import type { NavSection } from '../../nav';
import { ProFormaDetailPage } from './pro-forma-detail';
import { ProFormasListPage } from './pro-formas-list';

/**
 * The pro formas' pages, shared by every role (the API scopes what each user sees): the list (« Mes factures/factures
 * d'avoir pro formas » for a CFA user) and the detail of one pro forma, where a CFA deposits its invoice.
 */

export const sharedNav: NavSection[] = [
  {
    title: 'Facturation',
    items: [
      { label: 'Mes pro formas', to: '/pro-formas', right: 'pro-formas:read', roles: ['cfa'] },
      { label: 'Pro formas', to: '/pro-formas', right: 'pro-formas:read', roles: ['admin', 'validator'] },
    ],
  },
];

export const sharedRoutes: RouteObject[] = [
  { path: '/pro-formas', element: <ProFormasListPage /> },
  { path: '/pro-formas/:number', element: <ProFormaDetailPage /> },
];
