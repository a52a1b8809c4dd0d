/// <reference lib="dom" />
import { DEFAULT_CATALOG_CONFLATE_MS, TandemApiError, TandemClient } from '@tandem/client';
import type { LiveEvent, LiveState, Order, OrderStatus, Product, Session, Subscription } from '@tandem/client';

/*
 * The storefront demo page (docs/standalone.md): a product grid with live stock and price, login and
 * register, cart and checkout, "my orders" with a live status timeline, and an admin view. All
 * state comes from REST snapshots and is kept current by the SDK's live subscriptions.
 */

/** The only credential the page stores (see `client` below); never the access token. */
const REFRESH_KEY = 'tandem.refreshToken';
const GRID_SIZE = 24;
const STEPS: OrderStatus[] = ['pending', 'paid', 'shipped', 'delivered'];

/*
 * Tokens as docs/client-sdk.md ("Keeping tokens") recommends: the access token lives only in the
 * SDK's memory; the page keeps just the refresh token, in sessionStorage (this tab only, gone when
 * it closes; two tabs never share, and so never race to rotate, one refresh token), to resume the
 * session after a reload with one refresh. The Content-Security-Policy the page is served with
 * (docs/security.md, "Storefront page") keeps injected scripts from reading it.
 */
const client = new TandemClient({
  onSession: (session) => {
    if (session) sessionStorage.setItem(REFRESH_KEY, session.refreshToken);
    else sessionStorage.removeItem(REFRESH_KEY);
  },
});
// Earlier versions kept the whole session (access token included) in localStorage.
localStorage.removeItem('tandem.session');

/** After a reload: a fresh session from the stored refresh token (a refused one is forgotten). */
async function resumeSession(): Promise<void> {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  if (!refreshToken) return;
  try {
    const res = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    });
    if (res.ok) client.sessions.set((await res.json()) as Session);
    else if (res.status === 401) sessionStorage.removeItem(REFRESH_KEY);
  } catch {
    // offline: stay logged out; the next load tries again
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}
const money = (m: { amount: number; currency: string }) =>
  new Intl.NumberFormat('en', { style: 'currency', currency: m.currency }).format(m.amount / 100);

function toast(message: string): void {
  const node = $('toast');
  node.textContent = message;
  node.hidden = false;
  clearTimeout((toast as { timer?: number }).timer);
  (toast as { timer?: number }).timer = window.setTimeout(() => (node.hidden = true), 3500);
}
function errorText(error: unknown): string {
  if (error instanceof TandemApiError) return error.problem?.detail ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

// ---- connection indicator -------------------------------------------------------------------

const STATE_LABELS: Record<LiveState, string> = {
  idle: 'offline',
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
  fallback: 'polling fallback (SSE)',
  closed: 'offline',
};
client.live.onStateChange((state) => {
  const node = $('connection');
  node.dataset['state'] = state;
  node.textContent = STATE_LABELS[state];
});

// ---- catalog grid ---------------------------------------------------------------------------

const products = new Map<string, Product>();
let catalog: Subscription | undefined;

function renderCard(product: Product): HTMLElement {
  const inCart = cart.get(product.id) ?? 0;
  return el(
    'article',
    { class: 'card', 'data-testid': `product-${product.id}`, 'data-sku': product.sku },
    el('div', { class: 'sku' }, product.sku),
    el('h3', {}, product.name),
    el('p', { class: 'desc' }, product.description),
    el(
      'div',
      { class: 'meta' },
      el('span', { class: 'price', 'data-testid': `price-${product.id}` }, money(product.price)),
      el(
        'span',
        { class: product.stock === 0 ? 'stock out' : 'stock', 'data-testid': `stock-${product.id}` },
        `${product.stock} in stock`,
      ),
    ),
    el(
      'button',
      {
        'data-add': product.id,
        'data-testid': `add-${product.id}`,
        ...(product.stock <= inCart ? { disabled: '' } : {}),
      },
      inCart > 0 ? `Add another (${inCart})` : 'Add to cart',
    ),
  );
}

function renderGrid(): void {
  const grid = $('grid');
  grid.replaceChildren(...[...products.values()].map(renderCard));
}

function flash(id: string): void {
  const card = document.querySelector(`[data-testid="product-${id}"]`);
  card?.classList.remove('flash');
  void (card as HTMLElement | null)?.offsetWidth;
  card?.classList.add('flash');
}

function applyCatalogEvent(event: LiveEvent): void {
  switch (event.type) {
    case 'inventory.changed': {
      const product = products.get(event.data.productId);
      if (!product) return;
      products.set(product.id, { ...product, stock: event.data.stock, version: event.data.version });
      break;
    }
    case 'product.updated': {
      if (!products.has(event.data.id)) return;
      products.set(event.data.id, event.data);
      break;
    }
    default:
      return;
  }
  renderGrid();
  renderAdminProducts();
  flash(event.type === 'inventory.changed' ? event.data.productId : event.data.id);
  $('offset').textContent = `stream offset ${event.offset}`;
}

function subscribeCatalog(q: string): void {
  catalog?.unsubscribe();
  // The grid shows the latest stock, not every step of a burst (docs/client-sdk.md, "Conflation").
  catalog = client.live.subscribe('catalog', applyCatalogEvent, {
    conflate: DEFAULT_CATALOG_CONFLATE_MS,
    snapshot: () => client.products.list({ limit: GRID_SIZE, q: q || undefined }),
    onSnapshot: (page) => {
      products.clear();
      for (const product of page.items) products.set(product.id, product);
      renderGrid();
      renderAdminProducts();
      $('offset').textContent = `stream offset ${catalog?.offset ?? ''}`;
    },
    onError: (error) => toast(errorText(error)),
  });
}

let searchTimer: number | undefined;
$('search').addEventListener('input', (event) => {
  clearTimeout(searchTimer);
  searchTimer = window.setTimeout(() => subscribeCatalog((event.target as HTMLInputElement).value.trim()), 250);
});

// ---- cart -----------------------------------------------------------------------------------

const cart = new Map<string, number>();

function renderCart(): void {
  const lines = [...cart.entries()].filter(([id]) => products.has(id));
  $('cart-lines').replaceChildren(
    ...lines.map(([id, quantity]) => {
      const product = products.get(id)!;
      return el(
        'li',
        {},
        el('span', {}, `${quantity} × ${product.name}`),
        el('button', { class: 'link', 'data-remove': id }, 'remove'),
      );
    }),
  );
  const total = lines.reduce((sum, [id, quantity]) => sum + products.get(id)!.price.amount * quantity, 0);
  const currency = lines.length > 0 ? products.get(lines[0]![0])!.price.currency : 'EUR';
  $('cart-total').textContent = lines.length > 0 ? money({ amount: total, currency }) : '–';
  $<HTMLButtonElement>('checkout').disabled = lines.length === 0 || !client.user;
}

$('grid').addEventListener('click', (event) => {
  const id = (event.target as HTMLElement).closest<HTMLElement>('[data-add]')?.dataset['add'];
  if (!id) return;
  cart.set(id, (cart.get(id) ?? 0) + 1);
  renderCart();
  renderGrid();
});
$('cart-lines').addEventListener('click', (event) => {
  const id = (event.target as HTMLElement).closest<HTMLElement>('[data-remove]')?.dataset['remove'];
  if (!id) return;
  cart.delete(id);
  renderCart();
  renderGrid();
});
$('checkout').addEventListener('click', async () => {
  const button = $<HTMLButtonElement>('checkout');
  button.disabled = true;
  $('cart-error').textContent = '';
  try {
    const items = [...cart.entries()].map(([productId, quantity]) => ({ productId, quantity }));
    const order = await client.orders.place({ items });
    orders.set(order.id, order);
    await client.orders.pay(order.id).then((paid) => orders.set(paid.id, paid));
    cart.clear();
    renderCart();
    renderGrid();
    renderOrders();
    showTab('orders');
    toast('Order placed and paid');
  } catch (error) {
    $('cart-error').textContent = errorText(error);
  } finally {
    renderCart();
  }
});

// ---- my orders ------------------------------------------------------------------------------

const orders = new Map<string, Order>();
const history = new Map<string, { status: OrderStatus; at: string }[]>();
let mine: Subscription | undefined;

function timeline(order: Order): HTMLElement {
  const seen = history.get(order.id) ?? [];
  const reached = order.status === 'cancelled' ? -1 : STEPS.indexOf(order.status);
  return el(
    'ol',
    { class: 'timeline' },
    ...STEPS.map((step, i) => {
      const at = seen.find((entry) => entry.status === step)?.at;
      return el(
        'li',
        { class: i <= reached ? 'done' : '', 'data-step': step },
        el('span', { class: 'dot' }),
        el('span', {}, step),
        at ? el('time', {}, new Date(at).toLocaleTimeString()) : '',
      );
    }),
  );
}

function renderOrders(): void {
  const list = [...orders.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  $('orders').replaceChildren(
    ...(list.length === 0
      ? [el('p', { class: 'muted' }, client.user ? 'No orders yet.' : 'Log in to see your orders.')]
      : []),
    ...list.map((order) =>
      el(
        'article',
        { class: 'panel order', 'data-testid': `order-${order.id}` },
        el(
          'header',
          {},
          el('strong', {}, `Order ${order.id.slice(0, 8)}`),
          el('span', { class: `badge ${order.status}`, 'data-testid': `order-status-${order.id}` }, order.status),
          el('span', { class: 'muted' }, money(order.total)),
        ),
        timeline(order),
        el(
          'ul',
          { class: 'items' },
          ...order.items.map((item) =>
            el('li', {}, `${item.quantity} × ${products.get(item.productId)?.name ?? item.productId.slice(0, 8)}`),
          ),
        ),
        order.status === 'pending' ? el('button', { 'data-pay': order.id }, 'Pay') : '',
        order.status === 'pending' || order.status === 'paid'
          ? el('button', { class: 'secondary', 'data-cancel': order.id }, 'Cancel')
          : '',
      ),
    ),
  );
}

function noteStatus(order: Order, at: string): void {
  const entries = history.get(order.id) ?? [];
  if (!entries.some((entry) => entry.status === order.status)) entries.push({ status: order.status, at });
  history.set(order.id, entries);
}

function applyOrderEvent(event: LiveEvent): void {
  if (event.type === 'order.created') {
    orders.set(event.data.id, event.data);
    noteStatus(event.data, event.occurredAt);
  } else if (event.type === 'order.status_changed') {
    orders.set(event.data.order.id, event.data.order);
    noteStatus(event.data.order, event.occurredAt);
    if (event.data.order.userId === client.user?.id)
      toast(`Order ${event.data.orderId.slice(0, 8)} is ${event.data.to}`);
  } else {
    return;
  }
  renderOrders();
  renderAdminOrders();
}

$('orders').addEventListener('click', async (event) => {
  const target = event.target as HTMLElement;
  try {
    if (target.dataset['pay']) orders.set(target.dataset['pay'], await client.orders.pay(target.dataset['pay']));
    if (target.dataset['cancel'])
      orders.set(target.dataset['cancel'], await client.orders.cancel(target.dataset['cancel']));
    renderOrders();
  } catch (error) {
    toast(errorText(error));
  }
});

// ---- admin ----------------------------------------------------------------------------------

const adminOrders = new Map<string, Order>();
const adminSubs = new Map<string, Subscription>();
let adminPoll: number | undefined;

function renderAdminProducts(): void {
  if (!client.user?.roles.includes('admin')) return;
  $('admin-products').replaceChildren(
    el(
      'table',
      {},
      el('tr', {}, el('th', {}, 'Product'), el('th', {}, 'Price (cents)'), el('th', {}, 'Stock'), el('th', {})),
      ...[...products.values()].map((product) =>
        el(
          'tr',
          { 'data-testid': `admin-product-${product.id}` },
          el('td', {}, product.name),
          el(
            'td',
            {},
            el('input', { type: 'number', min: '0', value: String(product.price.amount), 'data-field': 'price' }),
          ),
          el('td', {}, el('input', { type: 'number', min: '0', value: String(product.stock), 'data-field': 'stock' })),
          el('td', {}, el('button', { 'data-save': product.id, 'data-testid': `save-${product.id}` }, 'Save')),
        ),
      ),
    ),
  );
}

function renderAdminOrders(): void {
  if (!client.user?.roles.includes('admin')) return;
  for (const order of orders.values()) if (adminOrders.has(order.id)) adminOrders.set(order.id, order);
  const list = [...adminOrders.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 20);
  $('admin-orders').replaceChildren(
    ...(list.length === 0 ? [el('p', { class: 'muted' }, 'No orders yet.')] : []),
    ...list.map((order) =>
      el(
        'div',
        { class: 'admin-order', 'data-testid': `admin-order-${order.id}` },
        el('span', {}, `${order.id.slice(0, 8)} · ${money(order.total)}`),
        el('span', { class: `badge ${order.status}`, 'data-testid': `admin-order-status-${order.id}` }, order.status),
        order.status === 'paid'
          ? el('button', { 'data-ship': order.id, 'data-testid': `ship-${order.id}` }, 'Mark shipped')
          : '',
        order.status === 'shipped'
          ? el('button', { 'data-deliver': order.id, 'data-testid': `deliver-${order.id}` }, 'Mark delivered')
          : '',
      ),
    ),
  );
}

async function loadAdminOrders(): Promise<void> {
  const { data } = await client.orders.list({ limit: 20 });
  for (const order of data.items) {
    adminOrders.set(order.id, order);
    // Admins may follow any order's channel: status changes by anyone show up live.
    if (!adminSubs.has(order.id)) {
      adminSubs.set(
        order.id,
        client.live.subscribe(`order:${order.id}`, (event) => {
          if (event.type === 'order.status_changed') adminOrders.set(event.data.order.id, event.data.order);
          renderAdminOrders();
        }),
      );
    }
  }
  renderAdminOrders();
}

$('admin-products').addEventListener('click', async (event) => {
  const id = (event.target as HTMLElement).dataset['save'];
  if (!id) return;
  const row = (event.target as HTMLElement).closest('tr')!;
  const price = Number(row.querySelector<HTMLInputElement>('[data-field=price]')!.value);
  const stock = Number(row.querySelector<HTMLInputElement>('[data-field=stock]')!.value);
  const product = products.get(id)!;
  try {
    await client.products.update(id, { price: { amount: price, currency: product.price.currency }, stock });
    toast(`Saved ${product.name}`);
  } catch (error) {
    toast(errorText(error));
  }
});
$('admin-orders').addEventListener('click', async (event) => {
  const target = event.target as HTMLElement;
  try {
    if (target.dataset['ship'])
      adminOrders.set(target.dataset['ship'], await client.orders.setStatus(target.dataset['ship'], 'shipped'));
    if (target.dataset['deliver'])
      adminOrders.set(target.dataset['deliver'], await client.orders.setStatus(target.dataset['deliver'], 'delivered'));
    renderAdminOrders();
  } catch (error) {
    toast(errorText(error));
  }
});

// ---- session and tabs -----------------------------------------------------------------------

function showTab(tab: string): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('#tabs button')) {
    button.classList.toggle('active', button.dataset['tab'] === tab);
  }
  for (const name of ['shop', 'orders', 'admin']) $(`view-${name}`).hidden = name !== tab;
  if (tab === 'admin') void loadAdminOrders().catch((error) => toast(errorText(error)));
}
$('tabs').addEventListener('click', (event) => {
  const tab = (event.target as HTMLElement).dataset['tab'];
  if (tab) showTab(tab);
});

function onUser(): void {
  const user = client.user;
  $('auth').hidden = user !== null;
  $('who').textContent = user ? `${user.email}${user.roles.includes('admin') ? ' (admin)' : ''}` : '';
  $('logout').hidden = user === null;
  $('tab-admin').hidden = !user?.roles.includes('admin');
  mine?.unsubscribe();
  mine = undefined;
  orders.clear();
  clearInterval(adminPoll);
  if (user) {
    mine = client.live.subscribe(`user:${user.id}`, applyOrderEvent, {
      snapshot: () => client.orders.list({ limit: 50 }),
      onSnapshot: (page) => {
        for (const order of page.items) {
          orders.set(order.id, order);
          noteStatus(order, order.updatedAt);
        }
        renderOrders();
      },
      onError: (error) => toast(errorText(error)),
    });
    if (user.roles.includes('admin')) {
      // New orders of other customers are not on any channel an admin follows: poll the list.
      adminPoll = window.setInterval(() => {
        if (!$('view-admin').hidden) void loadAdminOrders().catch(() => undefined);
      }, 5000);
    }
  }
  renderOrders();
  renderCart();
  renderAdminProducts();
}

let lastUserId: string | undefined;
client.sessions.onChange((session) => {
  if (session?.user.id === lastUserId) return;
  lastUserId = session?.user.id;
  onUser();
});

$('auth-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const action = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.dataset['action'] ?? 'login';
  const email = (form.elements.namedItem('email') as HTMLInputElement).value;
  const password = (form.elements.namedItem('password') as HTMLInputElement).value;
  $('auth-error').textContent = '';
  try {
    if (action === 'register') await client.auth.register(email, password);
    else await client.auth.login(email, password);
    form.reset();
  } catch (error) {
    $('auth-error').textContent = errorText(error);
  }
});
$('logout').addEventListener('click', () => void client.auth.logout());

lastUserId = client.user?.id;
subscribeCatalog('');
onUser();
void resumeSession();
