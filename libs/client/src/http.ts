import type { ProblemDetails } from '@tandem/contracts';
import { API_PREFIX, STREAM_OFFSET_HEADER } from './constants.js';
import { TandemApiError } from './errors.js';

/** A REST read with the stream offset it reflects (contract: X-Stream-Offset) and its ETag. */
export interface Read<T> {
  data: T;
  /** Subscribe with `since` = this to join the live stream without gap or duplicate. */
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

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

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

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<Read<T> & { status: number }> {
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
      await this.forceRefresh().catch(() => undefined);
      response = await send();
    }
    const text = response.status === 204 || response.status === 304 ? '' : await response.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok && response.status !== 304) {
      throw new TandemApiError(response.status, body as ProblemDetails | undefined, response.headers);
    }
    return {
      status: response.status,
      data: body as T,
      offset: Number(response.headers.get(STREAM_OFFSET_HEADER) ?? 0),
      etag: response.headers.get('ETag') ?? undefined,
    };
  }
}
