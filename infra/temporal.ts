import fs from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import type { SearchAttributeType } from '@temporalio/common';
import { temporalAddress, type Config } from './config';

const { IndexedValueType } = proto.api.enums.v1;

/** A custom search attribute: what `defineSearchAttributeKey` returns. */
export interface SearchAttributeDefinition {
  name: string;
  type: SearchAttributeType;
}

const INDEXED_TYPE: Record<SearchAttributeType, proto.api.enums.v1.IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** The dev server's `--search-attribute` spelling of a type (Keyword, Int, KeywordList...). */
export const CLI_TYPE_NAME: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

function tlsOptions(config: Config): ConnectionOptions['tls'] {
  const tls = config.temporal.tls;
  if (!tls) return undefined;
  const read = (file?: string) => (file ? fs.readFileSync(file) : undefined);
  const cert = read(tls.clientCertPath);
  const key = read(tls.clientKeyPath);
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: read(tls.serverRootCACertificatePath),
    clientCertPair: cert && key ? { crt: cert, key } : undefined,
  };
}

/** Client connection (API, registration, health). */
export function connectClient(config: Config): Promise<Connection> {
  return Connection.connect({
    address: temporalAddress(config),
    tls: tlsOptions(config),
    apiKey: config.temporal.apiKey,
    metadata: config.temporal.apiKey ? { 'temporal-namespace': config.temporal.namespace } : undefined,
  });
}

/** Worker connection (Rust core). */
export function connectWorker(config: Config): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: temporalAddress(config),
    tls: tlsOptions(config) as NativeConnectionOptions['tls'],
    apiKey: config.temporal.apiKey,
    metadata: config.temporal.apiKey ? { 'temporal-namespace': config.temporal.namespace } : undefined,
  };
  return NativeConnection.connect(options);
}

/**
 * Registers the custom search attributes that are missing, and checks the type of those already there.
 * Idempotent: the dev server only applies `--search-attribute` when it creates its database, and an existing
 * cluster never has them, so the service runs this at every start.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeDefinition[],
): Promise<{ added: string[] }> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const existing = customAttributes ?? {};
  const missing: Record<string, proto.api.enums.v1.IndexedValueType> = {};
  for (const key of keys) {
    const have = existing[key.name];
    if (have === undefined || have === null) missing[key.name] = INDEXED_TYPE[key.type];
    else if (have !== INDEXED_TYPE[key.type]) {
      throw new Error(
        `Search attribute ${key.name} exists in namespace ${namespace} with another type (${IndexedValueType[have]}); expected ${key.type}`,
      );
    }
  }
  const added = Object.keys(missing);
  if (added.length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  return { added };
}

/** True when the Temporal frontend answers. */
export async function temporalReachable(connection: Connection, timeoutMs = 2000): Promise<boolean> {
  try {
    await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}
