import type { Response } from 'express';
import type { EventEnvelope } from '@tandem/contracts';
import type { Principal } from '@tandem/security';
import { Subscriber } from './subscriber.js';

/** A stream that cannot keep up (this much unsent) is closed rather than buffered without end. */
const MAX_UNSENT_BYTES = 1024 * 1024;

/** An SSE stream's delivery state (contract: SSE): `id: <offset>`, `event: <type>`, `data: <json>`. */
export class SseSubscriber extends Subscriber {
  private closed = false;
  onClose?: () => void;

  constructor(
    id: string,
    principal: Principal | undefined,
    private readonly res: Response,
  ) {
    super(id, principal);
  }

  protected write(envelope: EventEnvelope): void {
    this.send(`id: ${envelope.offset}\nevent: ${envelope.type}\ndata: ${JSON.stringify(envelope)}\n\n`);
  }

  notify(event: string, body: unknown): void {
    this.send(`event: ${event}\ndata: ${JSON.stringify(body)}\n\n`);
  }

  comment(text: string): void {
    this.send(`: ${text}\n\n`);
  }

  private send(chunk: string): void {
    if (this.closed) return;
    this.res.write(chunk);
    if (this.res.writableLength > MAX_UNSENT_BYTES) this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
    this.onClose?.();
  }
}
