import type { z } from 'zod';
import type { refusalReasonListResponse } from '../../../../api/schemas/admin';
import type { correctionRequest, decisionRequest } from '../../../../api/schemas/decisions';
import type { proFormaDetailResponse } from '../../../../api/schemas/pro-formas';
import type { validationQueueQuery, validationQueueResponse } from '../../../../api/schemas/validation';

/** The validation desk's data, as the API declares it (types only: nothing of the server is bundled). */

export type Queue = z.output<typeof validationQueueResponse>;
export type QueueItem = Queue['items'][number];
export type QueueFacets = Queue['facets'];
export type QueueQuery = z.input<typeof validationQueueQuery>;

export type Detail = z.output<typeof proFormaDetailResponse>;
export type Extraction = NonNullable<Detail['extraction']>;
export type Control = Detail['controls'][number];
export type Desk = NonNullable<Detail['desk']>;
export type Correction = Desk['corrections'][number];
export type HistoryEntry = Detail['history'][number];

export type RefusalReason = z.output<typeof refusalReasonListResponse>['items'][number];
export type RefusalReasons = z.output<typeof refusalReasonListResponse>;

export type DecisionBody = z.input<typeof decisionRequest>;
export type CorrectionBody = z.input<typeof correctionRequest>;
/** The fields a validator may correct (domain/desk.ts CORRECTABLE_FIELDS). */
export type CorrectableField = Correction['field'];
