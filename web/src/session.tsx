import { Center, Loader } from '@mantine/core';
import { QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, type ReactNode } from 'react';
import { ApiError, get, post, setCsrfToken, setUnauthenticatedHandler } from './api';
import type { Me, Right, Session } from './types';

/**
 * The browser's session: read once from GET /api/session (the cookie is httpOnly: only the API knows it), then
 * shared. `can(right)` hides what the user may not do; the API refuses it anyway.
 */

interface SessionValue {
  session: Session | null;
  user: Me | null;
  can(right: Right): boolean;
  signIn(token: string): Promise<Session>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

const SESSION_KEY = ['session'];

async function readSession(): Promise<Session | null> {
  try {
    return await get<Session>('/api/session');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

/** Another user's data must not show: every query but the session's is dropped (the session's is replaced). */
function forgetOthers(client: QueryClient): void {
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: SESSION_KEY, queryFn: readSession, staleTime: Infinity, retry: false });
  const session = query.data ?? null;
  useEffect(() => setCsrfToken(session?.csrfToken ?? null), [session]);
  useEffect(
    () =>
      setUnauthenticatedHandler(() => {
        setCsrfToken(null);
        client.setQueryData(SESSION_KEY, null);
      }),
    [client],
  );

  const signIn = useCallback(
    async (token: string) => {
      const opened = await post<Session>('/api/session', { token });
      setCsrfToken(opened.csrfToken);
      forgetOthers(client);
      client.setQueryData(SESSION_KEY, opened);
      return opened;
    },
    [client],
  );
  const signOut = useCallback(async () => {
    try {
      await post('/api/session/logout');
    } finally {
      setCsrfToken(null);
      forgetOthers(client);
      client.setQueryData(SESSION_KEY, null);
    }
  }, [client]);

  const value = useMemo<SessionValue>(
    () => ({
      session,
      user: session?.user ?? null,
      can: (right) => session?.user.rights.includes(right) ?? false,
      signIn,
      signOut,
    }),
    [session, signIn, signOut],
  );

  if (query.isPending) {
    return (
      <Center h="100vh">
        <Loader aria-label="Chargement de la session" />
      </Center>
    );
  }
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
