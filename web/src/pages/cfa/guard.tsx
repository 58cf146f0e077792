/**
 * A page of the portal for the users holding a right (and of the CFA role): the others get the « page introuvable »
 * state, as for an unknown address — the navigation does not show them the link either.
 */
import type { ReactNode } from 'react';
import { NotFoundPage } from '../../components/page';
import { useSession } from '../../session';
import type { Right } from '../../types';

/** The « page introuvable » state (components/page.tsx). */
export const NotAllowed = NotFoundPage;

export function CfaOnly({ right, children }: { right: Right; children: ReactNode }) {
  const { user, can } = useSession();
  if (user?.role !== 'cfa' || !can(right)) return <NotAllowed />;
  return <>{children}</>;
}
