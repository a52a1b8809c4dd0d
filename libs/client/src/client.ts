import { parseChannel } from '@tandem/contracts';
import type {
  AdminSettableStatus,
  Channel,
  LoginRequest,
  NewOrder,
  NewProduct,
  Order,
  Page,
  PageQuery,
  Product,
  ProductPatch,
  ProductQuery,
  RefreshRequest,
  RegisterRequest,
  Session,
  User,
} from '@tandem/contracts';
import { HttpClient } from './http.js';
import type { FetchLike, Read } from './http.js';
import { LiveClient } from './live.js';
import type { LiveOptions } from './live.js';
import { SessionManager } from './session.js';

export interface TandemClientOptions {
  /** Origin of the API, e.g. `http://localhost:3000`; `''` (default) = the page's own origin. */
  baseUrl?: string;
  /** A session to resume (e.g. from storage). */
  session?: Session | null;
  /** Called on every login, refresh (new tokens) and logout: persist it if you want. */
  onSession?: (session: Session | null) => void;
  refreshBeforeExpirySeconds?: number;
  fetch?: FetchLike;
  live?: Pick<LiveOptions, 'transport' | 'websocketAttempts' | 'reconnectMinMs' | 'reconnectMaxMs'>;
}

function randomKey(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * The Tandem client: typed REST for auth, products and orders, and `live` for subscriptions.
 * Runs in browsers and in Node ≥ 18 on fetch and socket.io-client (docs/client-sdk.md).
 */
export class TandemClient {
  readonly http: HttpClient;
  readonly sessions: SessionManager;
  readonly live: LiveClient;

  constructor(options: TandemClientOptions = {}) {
    const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.sessions = new SessionManager(
      async (refreshToken) => {
        const body: RefreshRequest = { refreshToken };
        return (await this.http.request<Session>('POST', '/auth/refresh', { body, auth: false })).data;
      },
      { refreshBeforeExpirySeconds: options.refreshBeforeExpirySeconds },
    );
    this.http = new HttpClient(
      baseUrl,
      fetchImpl,
      () => this.sessions.accessToken(),
      () => this.sessions.refresh(),
    );
    if (options.onSession) this.sessions.onChange(options.onSession);
    if (options.session) this.sessions.set(options.session);
    this.live = new LiveClient({
      ...options.live,
      baseUrl,
      fetch: fetchImpl,
      session: this.sessions,
      defaultSnapshot: (channel) => this.defaultSnapshot(channel),
    });
  }

  get session(): Session | null {
    return this.sessions.session;
  }

  get user(): User | null {
    return this.sessions.session?.user ?? null;
  }

  /** The session id (`sid` claim) of the current access token. */
  get sessionId(): string | undefined {
    return this.sessions.claims.sid;
  }

  readonly auth = {
    register: async (email: string, password: string, name?: string): Promise<Session> => {
      const body: RegisterRequest = name === undefined ? { email, password } : { email, password, name };
      const { data } = await this.http.request<Session>('POST', '/auth/register', { body, auth: false });
      this.sessions.set(data);
      return data;
    },
    login: async (email: string, password: string): Promise<Session> => {
      const body: LoginRequest = { email, password };
      const { data } = await this.http.request<Session>('POST', '/auth/login', { body, auth: false });
      this.sessions.set(data);
      return data;
    },
    /** Rotates the refresh token now (the client also does it by itself before expiry). */
    refresh: (): Promise<Session | null> => this.sessions.refresh(),
    logout: async (): Promise<void> => {
      const session = this.sessions.session;
      this.sessions.set(null);
      if (session) {
        const body: RefreshRequest = { refreshToken: session.refreshToken };
        await this.http.request('POST', '/auth/logout', { body, auth: false }).catch(() => undefined);
      }
    },
    me: async (): Promise<User> => (await this.http.request<User>('GET', '/auth/me')).data,
  };

  readonly products = {
    list: (query: ProductQuery = {}): Promise<Read<Page<Product>>> =>
      this.http.request<Page<Product>>('GET', '/products', { query: { ...query } }),
    get: (id: string): Promise<Read<Product>> =>
      this.http.request<Product>('GET', `/products/${encodeURIComponent(id)}`),
    create: async (product: NewProduct): Promise<Product> =>
      (await this.http.request<Product>('POST', '/products', { body: product })).data,
    /** `ifVersion`: fail with 412 unless the product is still at that version (optimistic locking). */
    update: async (id: string, patch: ProductPatch, options: { ifVersion?: number } = {}): Promise<Product> =>
      (
        await this.http.request<Product>('PATCH', `/products/${encodeURIComponent(id)}`, {
          body: patch,
          headers: options.ifVersion === undefined ? {} : { 'If-Match': `"${options.ifVersion}"` },
        })
      ).data,
  };

  readonly orders = {
    list: (query: PageQuery = {}): Promise<Read<Page<Order>>> =>
      this.http.request<Page<Order>>('GET', '/orders', { query: { ...query } }),
    get: (id: string): Promise<Read<Order>> => this.http.request<Order>('GET', `/orders/${encodeURIComponent(id)}`),
    /** Places an order; retrying with the same `idempotencyKey` never places it twice. */
    place: async (order: NewOrder, options: { idempotencyKey?: string } = {}): Promise<Order> =>
      (
        await this.http.request<Order>('POST', '/orders', {
          body: order,
          headers: { 'Idempotency-Key': options.idempotencyKey ?? randomKey() },
        })
      ).data,
    pay: async (id: string): Promise<Order> =>
      (await this.http.request<Order>('POST', `/orders/${encodeURIComponent(id)}/pay`)).data,
    cancel: async (id: string): Promise<Order> =>
      (await this.http.request<Order>('POST', `/orders/${encodeURIComponent(id)}/cancel`)).data,
    /** Admin: `shipped` or `delivered`. */
    setStatus: async (id: string, status: AdminSettableStatus): Promise<Order> =>
      (await this.http.request<Order>('PATCH', `/orders/${encodeURIComponent(id)}/status`, { body: { status } })).data,
  };

  /** The snapshot a channel's events apply to (docs/client-sdk.md, "What `live.subscribe` does for you"). */
  private defaultSnapshot(channel: Channel): () => Promise<Read<unknown>> {
    const parsed = parseChannel(channel);
    switch (parsed?.kind) {
      case 'product':
        return () => this.products.get(parsed.id);
      case 'order':
        return () => this.orders.get(parsed.id);
      case 'user':
        return () => this.orders.list({ limit: 100 });
      case 'catalog':
        return () => this.products.list({ limit: 100 });
      default:
        // The server refuses it too; failing here names the channel.
        return () => Promise.reject(new Error(`not a channel of the contract: ${channel}`));
    }
  }

  /** Stops timers and closes the live connection. */
  close(): void {
    this.live.close();
    this.sessions.dispose();
  }
}
