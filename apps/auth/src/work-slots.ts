/** Thrown when every slot is busy and the queue is full: the caller answers 503 with Retry-After. */
export class SlotsExhaustedError extends Error {
  constructor() {
    super('too much work queued');
    this.name = 'SlotsExhaustedError';
  }
}

/**
 * At most `running` tasks at once, at most `queued` more waiting, the rest refused at once: a
 * flood of expensive work (password hashing) neither piles up in memory nor starves libuv's
 * thread pool that the database driver and DNS share (docs/security.md, "Authentication, tokens
 * and revocation").
 */
export class WorkSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly running: number,
    private readonly queued: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.running) {
      if (this.waiting.length >= this.queued) throw new SlotsExhaustedError();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      // Hand the slot to the next waiter directly, so `active` never dips while work is queued.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }

  get busy(): number {
    return this.active + this.waiting.length;
  }
}
