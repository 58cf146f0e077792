import type { z } from 'zod';
import type {
  proFormaDetailResponse,
  proFormaListQuery,
  proFormaListResponse,
  proFormaSummaryResponse,
} from '../../../../api/schemas/pro-formas';

/** The pro formas as the API answers them (types read from its schemas: the pages cannot drift from the API). */
export type ProFormaList = z.output<typeof proFormaListResponse>;
export type ProFormaSummary = z.output<typeof proFormaSummaryResponse>;
export type ProFormaDetail = z.output<typeof proFormaDetailResponse>;
export type ProFormaListQuery = z.input<typeof proFormaListQuery>;
export type Refusal = NonNullable<ProFormaDetail['refusal']>;
export type Control = ProFormaDetail['controls'][number];
export type HistoryEntry = ProFormaDetail['history'][number];
export type ProFormaStatus = ProFormaSummary['status'];
export type ProFormaStage = NonNullable<ProFormaSummary['stage']>;
export type ProFormaKind = ProFormaSummary['kind'];
