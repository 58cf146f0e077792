/**
 * The admin pages: each behind the right its API needs (without it, the « page introuvable » state), each link of the
 * navigation shown to the users holding that right. The dashboard (charts: recharts) loads apart from the rest.
 */
import { Center, Loader } from '@mantine/core';
import { lazy, Suspense, type ReactNode } from 'react';
import type { RouteObject } from 'react-router';
import type { NavSection } from '../../nav';
import type { Right } from '../../types';
import { AuditPage } from './audit';
import { BankFilePage } from './bank-file';
import { CfaDetailPage } from './cfa-detail';
import { CfasPage } from './cfas';
import { RequireRight } from './common';
import { ContractsImportPage } from './contracts-import';
import { PaymentRunPage } from './payment-run';
import { PaymentRunsPage } from './payment-runs';
import { PortfoliosPage } from './portfolios';
import { RefusalReasonsPage } from './refusal-reasons';
import { UsersPage } from './users';

const AdminDashboardPage = lazy(() => import('./dashboard').then((m) => ({ default: m.AdminDashboardPage })));

export const adminNav: NavSection[] = [
  {
    title: 'Administration',
    items: [
      { label: 'Tableau de bord', to: '/admin', right: 'metrics:read' },
      { label: 'Paiements', to: '/admin/paiements', right: 'payment-runs:read' },
      { label: 'CFA', to: '/admin/cfas', right: 'admin:manage' },
      { label: 'Portefeuilles', to: '/admin/portefeuilles', right: 'admin:manage' },
      { label: 'Import des contrats', to: '/admin/contrats', right: 'admin:manage' },
      { label: 'Utilisateurs et droits', to: '/admin/utilisateurs', right: 'admin:manage' },
      { label: 'Motifs de refus', to: '/admin/motifs', right: 'refusal-reasons:read' },
      { label: 'Historique', to: '/admin/audit', right: 'audit:read' },
    ],
  },
];

const guarded = (path: string, right: Right, page: ReactNode): RouteObject => ({
  path,
  element: <RequireRight right={right}>{page}</RequireRight>,
});

export const adminRoutes: RouteObject[] = [
  guarded(
    '/admin',
    'metrics:read',
    <Suspense
      fallback={
        <Center h={300}>
          <Loader aria-label="Chargement du tableau de bord" />
        </Center>
      }
    >
      <AdminDashboardPage />
    </Suspense>,
  ),
  guarded('/admin/cfas', 'admin:manage', <CfasPage />),
  guarded('/admin/cfas/:id', 'admin:manage', <CfaDetailPage />),
  guarded('/admin/portefeuilles', 'admin:manage', <PortfoliosPage />),
  guarded('/admin/contrats', 'admin:manage', <ContractsImportPage />),
  guarded('/admin/utilisateurs', 'admin:manage', <UsersPage />),
  guarded('/admin/motifs', 'refusal-reasons:read', <RefusalReasonsPage />),
  guarded('/admin/paiements', 'payment-runs:read', <PaymentRunsPage />),
  guarded('/admin/paiements/fichiers/:id', 'payment-runs:read', <BankFilePage />),
  guarded('/admin/paiements/:number', 'payment-runs:read', <PaymentRunPage />),
  guarded('/admin/audit', 'audit:read', <AuditPage />),
];
