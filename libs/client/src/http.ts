import { STREAM_OFFSET_HEADER } from '@tandem/contracts';
import type { ProblemDetails } from '@tandem/contracts';
import { TandemApiError } from './errors.js';

/** Every REST route and the SSE stream live under this prefix (docs/contract.md, Apps, ports, prefixes). */
export const API_PREFIX = '/api/v1';

/** A REST read with the stream offset it reflects (docs/contract.md, Events) and its ETag. */
export interface Read<T> {
  data: T;
  /**
   * Subscribe with `since` = this to join the live stream without a gap; an event the snapshot
   * already shows may still follow, and its `version` says so (the SDK drops it).
   */
  offset: number;
  etag?: string;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Send the access token (default: when logged in). */
  auth?: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The problem+json body of an error answer; undefined when there is none (a proxy's HTML page, an empty body). */
export function parseProblem(text: string): ProblemDetails | undefined {
  const body = text ? parseJson(text) : undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const { type, title, status, detail } = body as Partial<Record<keyof ProblemDetails, unknown>>;
  const looksRight =
    typeof type === 'string' && typeof title === 'string' && typeof status === 'number' && typeof detail === 'string';
  return looksRight ? (body as ProblemDetails) : undefined;
}

/**
 * What a REST answer becomes: a `Read` for 2xx and 304 (empty `data` for 204/304), a
 * `TandemApiError` for anything else; a success whose body is not JSON is an error too.
 */
export function toRead<T>(status: number, headers: Headers, text: string): Read<T> & { status: number } {
  if ((status < 200 || status > 299) && status !== 304) {
    throw new TandemApiError(status, parseProblem(text), headers);
  }
  const data = text ? parseJson(text) : undefined;
  if (text && data === undefined)
    throw new TandemApiError(status, undefined, headers, `HTTP ${status}: the body is not JSON`);
  return {
    status,
    data: data as T,
    offset: Number(headers.get(STREAM_OFFSET_HEADER) ?? 0),
    etag: headers.get('ETag') ?? undefined,
  };
}

/** Thin fetch wrapper: JSON in and out, problem+json errors, Bearer token, one retry after a 401. */
export class HttpClient {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike,
    private readonly token: () => Promise<string | null>,
    private readonly forceRefresh: () => Promise<unknown>,
  ) {}

  url(path: string, query?: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return `${this.baseUrl}${API_PREFIX}${path}${search ? `?${search}` : ''}`;
  }

  async request<T>(
    method: HttpMethod,
    path: string,
    options: RequestOptions = {},
  ): Promise<Read<T> & { status: number }> {
    const send = async () => {
      const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
      if (options.body !== undefined) headers['Content-Type'] = 'application/json';
      const token = options.auth === false ? null : await this.token();
      if (token) headers['Authorization'] = `Bearer ${token}`;
      return this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    };
    let response = await send();
    if (response.status === 401 && options.auth !== false && (await this.token())) {
      // The token may have been revoked or expired in between: refresh once and retry.
      await response.body?.cancel().catch(() => undefined);
      await this.forceRefresh().catch(() => undefined);
      response = await send();
    }
    const text = response.status === 204 || response.status === 304 ? '' : await response.text();
    return toRead<T>(response.status, response.headers, text);
  }
}
