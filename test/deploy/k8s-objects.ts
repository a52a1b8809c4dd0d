// Helpers for the deploy tests: run the real helm/kubectl (extracted by scripts/deploy/tools.sh),
// parse multi-document YAML and validate objects against the vendored Kubernetes schemas.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { validators } from './k8s-schemas/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, '.tools/bin');
export const CHART = join(ROOT, 'helm/tandem');

// Loose on purpose: the tests probe rendered YAML and assert on what they find.
export type K8sObject = any;

export function ensureTools(): void {
  if (!existsSync(join(BIN, 'helm')) || !existsSync(join(BIN, 'kubectl'))) {
    execFileSync('bash', [join(ROOT, 'scripts/deploy/tools.sh')], { stdio: 'inherit' });
  }
}

export function run(tool: 'helm' | 'kubectl', args: string[]): string {
  return execFileSync(join(BIN, tool), args, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // helm must not look for a cluster or a user config.
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(ROOT, '.tools/helm/cache'),
      HELM_CONFIG_HOME: join(ROOT, '.tools/helm/config'),
      HELM_DATA_HOME: join(ROOT, '.tools/helm/data'),
      KUBECONFIG: '/dev/null',
    },
  });
}

/** Runs a command expected to fail; returns its stderr+stdout. */
export function runFailing(tool: 'helm' | 'kubectl', args: string[]): string {
  try {
    run(tool, args);
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    return `${err.stderr ?? ''}${err.stdout ?? ''}`;
  }
  throw new Error(`${tool} ${args.join(' ')} succeeded but was expected to fail`);
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`YAML error: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((o) => o != null);
}

export function helmTemplate(valuesFiles: string[] = [], extra: string[] = []): K8sObject[] {
  const args = ['template', 'tdm', CHART, '--namespace', 'shop', ...valuesFiles.flatMap((f) => ['-f', f]), ...extra];
  return parseObjects(run('helm', args));
}

export function kustomize(dir: string): K8sObject[] {
  return parseObjects(run('kubectl', ['kustomize', join(ROOT, dir)]));
}

/** Schema errors of one object, [] when valid. Unknown kinds are an error too. */
export function schemaErrors(obj: K8sObject): string[] {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const validate = validators[key];
  if (!validate) return [`no schema vendored for ${key}`];
  if (validate(obj)) return [];
  return (validate.errors ?? []).map(
    (e) => `${key} ${obj.metadata?.name}: ${e.instancePath} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`,
  );
}

export function podSpecOf(obj: K8sObject): K8sObject | undefined {
  if (obj.kind === 'Pod') return obj.spec;
  if (obj.kind === 'Deployment' || obj.kind === 'Job') return obj.spec.template.spec;
  return undefined;
}

export const byKind = (objs: K8sObject[], kind: string): K8sObject[] => objs.filter((o) => o.kind === kind);
export const names = (objs: K8sObject[]): string[] => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
