/**
 * The API's answers the CFA portal reads, as the API's own schemas declare them (types only: nothing of the server
 * is bundled).
 */
import type { z } from 'zod';
import type { cfaUserListResponse, cfaUserResponse } from '../../../../api/schemas/accounts';
import type { contractListResponse, contractScheduleResponse } from '../../../../api/schemas/contracts';
import type { mandateListResponse } from '../../../../api/schemas/mandates';
import type { myCfaResponse, myCfaUpdateRequest } from '../../../../api/schemas/my-cfa';
import type {
  dashboardResponse,
  eligibleResponse,
  generatedResponse,
  generateRequest,
  generationPreviewResponse,
} from '../../../../api/schemas/pro-formas';

export type Dashboard = z.output<typeof dashboardResponse>;
export type DashboardCounter = Dashboard['counters'][number];

export type Eligible = z.output<typeof eligibleResponse>;
export type EligibleItem = Eligible['items'][number];
export type GenerateBody = z.input<typeof generateRequest>;
export type GenerationPreview = z.output<typeof generationPreviewResponse>;
export type Generated = z.output<typeof generatedResponse>;
export type GeneratedProForma = Generated['proFormas'][number];

export type ContractList = z.output<typeof contractListResponse>;
export type Contract = ContractList['items'][number];
export type ContractSchedule = z.output<typeof contractScheduleResponse>;
export type ScheduleInstallment = ContractSchedule['installments'][number];

export type MyCfa = z.output<typeof myCfaResponse>;
export type MyCfaUpdate = z.input<typeof myCfaUpdateRequest>;
export type NotificationEmail = MyCfa['notificationEmails'][number];
export type Mandates = z.output<typeof mandateListResponse>;

export type CfaUserList = z.output<typeof cfaUserListResponse>;
export type CfaUser = z.output<typeof cfaUserResponse>;

export type CostNature = EligibleItem['nature'];
export type SettlementMode = MyCfa['creditNoteSettlement'];
export type ProFormaKind = GeneratedProForma['kind'];
