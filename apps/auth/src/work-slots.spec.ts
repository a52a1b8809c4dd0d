import { SlotsExhaustedError, WorkSlots } from './work-slots.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkSlots', () => {
  it('runs at most `running` tasks at once, queues `queued` more and refuses the rest at once', async () => {
    const slots = new WorkSlots(2, 1);
    const gates = [deferred(), deferred(), deferred()];
    let concurrent = 0;
    let peak = 0;
    const task = (gate: Promise<void>) => async () => {
      concurrent += 1;
      peak = Math.max(peak, concurrent);
      await gate;
      concurrent -= 1;
    };
    const runs = gates.map((gate) => slots.run(task(gate.promise)));
    await expect(slots.run(async () => undefined)).rejects.toBeInstanceOf(SlotsExhaustedError);
    expect(slots.busy).toBe(3);
    for (const gate of gates) gate.resolve();
    await Promise.all(runs);
    expect(peak).toBe(2);
    expect(slots.busy).toBe(0);
    await expect(slots.run(async () => 'again')).resolves.toBe('again');
  });

  it('frees the slot of a task that fails', async () => {
    const slots = new WorkSlots(1, 0);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(slots.run(async () => 1)).resolves.toBe(1);
  });
});
