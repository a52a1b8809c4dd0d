// The shape every results file must have. The bench exits non-zero when its own output fails this,
// so CI can assert "completed and well-formed" without asserting any timing.
export const SCENARIOS = ['rest', 'ws', 'hybrid', 'floor-poll', 'floor-push'];
export const FANOUTS = ['tandem-1', 'floor-1', 'tandem-2', 'floor-2'];

export function validate(r) {
  const problems = [];
  const need = (cond, what) => {
    if (!cond) problems.push(what);
  };
  const num = (v) => typeof v === 'number' && Number.isFinite(v);
  need(r && typeof r === 'object', 'results must be an object');
  if (!r || typeof r !== 'object') return problems;
  need(r.schema === 'tandem-bench/1', 'schema must be tandem-bench/1');
  need(['quick', 'full'].includes(r.mode), 'mode must be quick or full');
  need(typeof r.startedAt === 'string' && !Number.isNaN(Date.parse(r.startedAt)), 'startedAt must be a date');
  need(num(r.durationS) && r.durationS > 0, 'durationS must be a positive number');
  need(r.machine && num(r.machine.cpus) && typeof r.machine.node === 'string', 'machine must name cpus and node');
  need(r.config && num(r.config.users) && r.config.users > 0, 'config.users must be positive');
  for (const kind of SCENARIOS) {
    const runs = r.scenarios?.[kind]?.runs;
    need(Array.isArray(runs) && runs.length >= 1, `scenarios.${kind}.runs must hold at least one run`);
    for (const [i, run] of (Array.isArray(runs) ? runs : []).entries()) {
      const at = `scenarios.${kind}.runs[${i}]`;
      need(run.scenario === kind, `${at}.scenario must be ${kind}`);
      need(num(run.deliveredUpdates) && run.deliveredUpdates > 0, `${at}.deliveredUpdates must be > 0`);
      for (const p of ['p50', 'p90', 'p99']) need(num(run.latencyMs?.[p]), `${at}.latencyMs.${p} must be a number`);
      need(num(run.opsPerS) && run.opsPerS > 0, `${at}.opsPerS must be > 0`);
      need(num(run.appCpuMsPerUpdate), `${at}.appCpuMsPerUpdate must be a number`);
      need(num(run.bytesPerUpdate) && run.bytesPerUpdate > 0, `${at}.bytesPerUpdate must be > 0`);
      need(
        run.rssBytes && Object.values(run.rssBytes).every((v) => num(v) && v > 0),
        `${at}.rssBytes must be positive numbers`,
      );
      need(typeof run.generator?.bottleneck === 'boolean', `${at}.generator.bottleneck must be a boolean`);
      need(num(run.errors), `${at}.errors must be a number`);
      need(
        !(run.errors > 0.05 * run.opsPerS * run.windowS + 5),
        `${at}: too many errors (${run.errors}): ${run.errorSamples?.[0]}`,
      );
    }
    const s = r.scenarios?.[kind]?.summary;
    need(s && num(s.latencyP50Ms?.median), `scenarios.${kind}.summary.latencyP50Ms.median must be a number`);
  }
  for (const label of FANOUTS) {
    const runs = r.fanout?.[label];
    need(Array.isArray(runs) && runs.length >= 1, `fanout.${label} must hold at least one run`);
    for (const [i, run] of (Array.isArray(runs) ? runs : []).entries()) {
      need(num(run.eventsDelivered) && run.eventsDelivered > 0, `fanout.${label}[${i}].eventsDelivered must be > 0`);
      need(num(run.latencyMs?.p50) && num(run.latencyMs?.p99), `fanout.${label}[${i}].latencyMs must have p50 and p99`);
      need(num(run.cpuSPer1000Events), `fanout.${label}[${i}].cpuSPer1000Events must be a number`);
    }
  }
  for (const label of ['tandem', 'floor']) {
    const s = r.idleScale?.[label];
    need(
      s && num(s.bytesPerSocket) && Array.isArray(s.points) && s.points.length >= 3,
      `idleScale.${label} needs a slope over ≥ 3 points`,
    );
  }
  const sat = r.saturation;
  need(sat && typeof sat === 'object', 'saturation must be an object');
  const ramps = sat
    ? [
        ...['rest', 'ws', 'hybrid'].map((k) => [`saturation.storefront.${k}`, sat.storefront?.[k]]),
        ...['1x-spread', '1x-hot', '2x-spread', '2x-hot'].map((k) => [`saturation.orders.${k}`, sat.orders?.[k]]),
        ...['1x-spread', '2x-spread'].map((k) => [`saturation.delayedOrders.${k}`, sat.delayedOrders?.[k]]),
        ['saturation.productReads', sat.productReads],
      ]
    : [];
  for (const [at, ramp] of ramps) {
    need(Array.isArray(ramp?.points) && ramp.points.length >= 1, `${at}.points must hold at least one step`);
    for (const [i, p] of (ramp?.points ?? []).entries()) {
      need(num(p.concurrency) && num(p.opsPerS), `${at}.points[${i}] must have concurrency and opsPerS`);
      need(p.latencyMs && (p.latencyMs.p99 === null || num(p.latencyMs.p99)), `${at}.points[${i}].latencyMs.p99`);
    }
  }
  const fs = r.flashSale;
  need(Array.isArray(fs?.runs) && fs.runs.length >= 1, 'flashSale.runs must hold at least one sale');
  for (const [i, sale] of (fs?.runs ?? []).entries()) {
    need(sale.correct === true, `flashSale.runs[${i}] must be exact: ${(sale.problems ?? []).join('; ')}`);
    need(num(sale.lastCommitToWatcherMs?.p99), `flashSale.runs[${i}].lastCommitToWatcherMs.p99 must be a number`);
    need(num(sale.deliveries) && num(sale.gatewayCpuS), `flashSale.runs[${i}] must count deliveries and gateway CPU`);
  }
  need(typeof fs?.conflation?.supported === 'boolean', 'flashSale.conflation.supported must be a boolean');
  need(r.ratios && typeof r.ratios === 'object', 'ratios must be an object');
  need(
    Array.isArray(r.targets) && r.targets.every((t) => typeof t.name === 'string' && typeof t.met === 'boolean'),
    'targets must be [{name, met}]',
  );
  return problems;
}
