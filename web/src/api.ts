/**
 * The API as the pages call it: same origin, the session cookie sent by the browser, the session's CSRF token on
 * every write. Every error of the API arrives as an `ApiError` whose message is the API's own French sentence
 * (with the field-by-field issues of a 422), so a page can always show it in words.
 */

export interface ApiIssue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The 422's field issues, when the API gave them. */
  get issues(): ApiIssue[] {
    const details = this.details as { issues?: ApiIssue[] } | undefined;
    return Array.isArray(details?.issues) ? details.issues : [];
  }

  /** The message and its issues, as one sentence list for a notification or an alert. */
  get explanation(): string {
    const issues = this.issues.map((i) => (i.path ? `${i.path} : ${i.message}` : i.message));
    return issues.length > 0 ? `${this.message} ${issues.join(' ; ')}` : this.message;
  }
}

let csrfToken: string | null = null;

/** Set when the session is read or opened (session.tsx). */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the API says the session is over (401): the page goes back to the login. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

async function errorOf(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
  if (error?.message) return new ApiError(response.status, error.code ?? 'ERROR', error.message, error.details);
  return new ApiError(
    response.status,
    'HTTP_ERROR',
    response.status >= 500
      ? 'Le service ne répond pas pour le moment : réessayez dans un instant.'
      : `Requête refusée (HTTP ${response.status}).`,
  );
}

function headers(method: string, json: boolean): Record<string, string> {
  const h: Record<string, string> = { Accept: 'application/json' };
  if (json) h['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) h['X-CSRF-Token'] = csrfToken;
  return h;
}

export type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

/** `path` with the query's defined values (arrays repeated). */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: headers(method, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'Le service est injoignable : vérifiez votre connexion et réessayez.');
  }
  if (response.status === 401 && path !== '/api/session') onUnauthenticated();
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string, query?: Query) => request<T>('GET', withQuery(path, query));
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const put = <T>(path: string, body: unknown) => request<T>('PUT', path, body);

/** A file of the API as a Blob (a document to show, a PDF to render). */
export async function fetchBlob(path: string): Promise<Blob> {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw await errorOf(response);
  return response.blob();
}

/**
 * Uploads `file` as the multipart field `file` (with `fields` beside it), reporting progress from 0 to 1: fetch
 * cannot tell an upload's progress, XMLHttpRequest can.
 */
export function upload<T>(
  path: string,
  file: File,
  onProgress: (fraction: number) => void,
  fields: Record<string, string> = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'L’envoi a échoué : le service est injoignable.'));
    xhr.onload = () => {
      const response = new Response(xhr.responseText, {
        status: xhr.status,
        headers: { 'Content-Type': xhr.getResponseHeader('Content-Type') ?? 'application/json' },
      });
      if (xhr.status === 401) onUnauthenticated();
      if (xhr.status >= 200 && xhr.status < 300) {
        response.json().then((body) => resolve(body as T), reject);
      } else {
        errorOf(response).then(reject, reject);
      }
    };
    const form = new FormData();
    for (const [key, value] of Object.entries(fields)) form.append(key, value);
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/** Saves a file of the API (an export, a PDF) under its own name, as the browser's download would. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw await errorOf(response);
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const name = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/i.exec(disposition)?.[1];
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name ? decodeURIComponent(name) : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
