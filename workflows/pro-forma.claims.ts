import { setHandler } from '@temporalio/workflow';
import { assertMayClaim, assertMayRelease, liveClaim } from '../domain/desk';
import { assertAllowed, type Position } from '../domain/process';
import type { Effects } from './pro-forma.effects';
import {
  claimUpdate,
  releaseClaimUpdate,
  type Actor,
  type ClaimView,
  type DeskPolicy,
  type ProFormaState,
  type ProFormaView,
} from './pro-forma.messages';
import { judge, type Inbox } from './pro-forma.requests';

/**
 * Claims: a validator takes an item awaiting a human, so that the others see it taken and cannot decide it; the
 * claim lapses after the policy's time without an action (or on release); an admin may take someone else's over.
 * Held in the workflow's state (Temporal UI shows it) and copied to the read model for the queue. A claim moves
 * nothing in the process: its Updates apply at once, without waiting for the process to take them.
 */
export function acceptClaims(deps: {
  state: ProFormaState;
  position: () => Position;
  view: () => ProFormaView;
  inbox: Inbox;
  effects: Effects;
  policy: DeskPolicy;
}): { claimFor(actor: Actor): Promise<void> } {
  const { state, position, view, inbox, effects, policy } = deps;
  const holder = () => liveClaim(state.claim ?? null, Date.now());

  function claimFor(actor: Actor): ClaimView {
    const now = Date.now();
    return {
      userId: actor.id,
      name: actor.name ?? null,
      at: new Date(now).toISOString(),
      expiresAt: new Date(now + policy.claimTtlMs).toISOString(),
    };
  }

  setHandler(
    claimUpdate,
    async (input) => {
      if (inbox.alreadyApplied(input.requestId)) return view();
      const current = holder();
      judge(() => assertMayClaim(current, input.actor, input.takeOver));
      const takenOver = current !== null && current.userId !== input.actor.id;
      state.claim = claimFor(input.actor);
      inbox.remember(input.requestId);
      await effects.recordClaim(takenOver ? 'TAKE_OVER_CLAIM' : 'CLAIM', input.actor);
      return view();
    },
    {
      validator: (input) => {
        if (inbox.alreadyApplied(input.requestId)) return;
        judge(() => assertAllowed(position(), 'CLAIM'));
        judge(() => assertMayClaim(holder(), input.actor, input.takeOver));
      },
    },
  );

  setHandler(
    releaseClaimUpdate,
    async (input) => {
      if (inbox.alreadyApplied(input.requestId)) return view();
      judge(() => assertMayRelease(holder(), input.actor));
      const held = state.claim !== null && state.claim !== undefined;
      state.claim = null;
      inbox.remember(input.requestId);
      if (held) await effects.recordClaim('RELEASE_CLAIM', input.actor);
      return view();
    },
    {
      validator: (input) => {
        if (inbox.alreadyApplied(input.requestId)) return;
        judge(() => assertMayRelease(holder(), input.actor));
      },
    },
  );

  return {
    /** An action of a validator on the item (a correction) gives them the claim, renewed. */
    async claimFor(actor: Actor): Promise<void> {
      state.claim = claimFor(actor);
      await effects.recordClaim('CLAIM', actor);
    },
  };
}
