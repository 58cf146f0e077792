import { defineSearchAttributeKey } from '@temporalio/common';

// Business keys that let admins find a pro forma's workflow in Temporal UI ("ProFormaStatus = 'REFUSED'").
// No personal data here (apprentice names stay in PostgreSQL): visibility stores are not built for it.
export const ProFormaNumberKey = defineSearchAttributeKey('ProFormaNumber', 'KEYWORD');
export const ProFormaStatusKey = defineSearchAttributeKey('ProFormaStatus', 'KEYWORD');
export const CfaSiretKey = defineSearchAttributeKey('CfaSiret', 'KEYWORD');
export const CostNatureKey = defineSearchAttributeKey('CostNature', 'KEYWORD');
export const InvoiceNumberKey = defineSearchAttributeKey('InvoiceNumber', 'KEYWORD');
export const TotalCentsKey = defineSearchAttributeKey('TotalCents', 'INT');

export const PRO_FORMA_SEARCH_ATTRIBUTES = [
  ProFormaNumberKey,
  ProFormaStatusKey,
  CfaSiretKey,
  CostNatureKey,
  InvoiceNumberKey,
  TotalCentsKey,
] as const;
