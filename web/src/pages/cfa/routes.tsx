/**
 * The CFA portal (the Opco EP guide's screens): dashboard, eligible installments and generation, contracts and their
 * schedules, « Mon CFA », and the CFA's users for its user managers. The pro forma list and detail (`/pro-formas`)
 * are the shared pages'. Each page is for CFA users holding its right; others get the « page introuvable » state.
 */
import type { RouteObject } from 'react-router';
import type { NavSection } from '../../nav';
import { ContractDetailPage } from './contract-detail';
import { ContractsPage } from './contracts';
import { DashboardPage } from './dashboard';
import { CfaOnly } from './guard';
import { InstallmentsPage } from './installments';
import { MyCfaPage } from './my-cfa';
import { UsersPage } from './users';

const CFA = ['cfa'] as const;

export const cfaNav: NavSection[] = [
  {
    title: 'Mon espace CFA',
    items: [
      { label: 'Tableau de bord', to: '/tableau-de-bord', right: 'pro-formas:read', roles: CFA },
      { label: 'Échéances éligibles', to: '/echeances', right: 'installments:read', roles: CFA },
      { label: 'Mes contrats', to: '/contrats', right: 'contracts:read', roles: CFA },
      { label: 'Mon CFA', to: '/mon-cfa', right: 'my-cfa:read', roles: CFA },
      { label: 'Utilisateurs', to: '/utilisateurs', right: 'cfa-users:manage', roles: CFA },
    ],
  },
];

export const cfaRoutes: RouteObject[] = [
  {
    path: '/tableau-de-bord',
    element: (
      <CfaOnly right="pro-formas:read">
        <DashboardPage />
      </CfaOnly>
    ),
  },
  {
    path: '/echeances',
    element: (
      <CfaOnly right="installments:read">
        <InstallmentsPage />
      </CfaOnly>
    ),
  },
  {
    path: '/contrats',
    element: (
      <CfaOnly right="contracts:read">
        <ContractsPage />
      </CfaOnly>
    ),
  },
  {
    path: '/contrats/:id',
    element: (
      <CfaOnly right="contracts:read">
        <ContractDetailPage />
      </CfaOnly>
    ),
  },
  {
    path: '/mon-cfa',
    element: (
      <CfaOnly right="my-cfa:read">
        <MyCfaPage />
      </CfaOnly>
    ),
  },
  {
    path: '/utilisateurs',
    element: (
      <CfaOnly right="cfa-users:manage">
        <UsersPage />
      </CfaOnly>
    ),
  },
];
