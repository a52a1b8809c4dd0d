import type { Response } from 'express';
import type { EventEnvelope, GatewayNoticeMap } from '@tandem/contracts';
import { Subscriber } from '../../delivery/subscriber.js';
import type { SubscriberLimits } from '../../delivery/subscriber.js';

/** An SSE stream as a client of the gateway (docs/contract.md, SSE): `id: <offset>`, `event: <type>`, `data: <json>`. */
export class SseSubscriber extends Subscriber {
  readonly transport = 'sse';
  private closed = false;
  onClose?: () => void;

  constructor(
    id: string,
    ip: string,
    limits: SubscriberLimits,
    private readonly res: Response,
    /** More than this unsent (a reader that cannot keep up) closes the stream. */
    private readonly maxUnsentBytes: number,
  ) {
    super(id, ip, limits);
  }

  protected write(envelope: EventEnvelope): void {
    this.send(`id: ${envelope.offset}\nevent: ${envelope.type}\ndata: ${JSON.stringify(envelope)}\n\n`);
  }

  notify<N extends keyof GatewayNoticeMap>(event: N, notice: GatewayNoticeMap[N]): void {
    this.send(`event: ${event}\ndata: ${JSON.stringify(notice)}\n\n`);
  }

  comment(text: string): void {
    this.send(`: ${text}\n\n`);
  }

  /** A stream that cannot keep up is closed rather than buffered without end. */
  private send(chunk: string): void {
    if (this.closed) return;
    this.res.write(chunk);
    if (this.res.writableLength > this.maxUnsentBytes) {
      this.onShed?.();
      this.close();
      this.res.destroy(); // what it never read is dropped, not kept until it reads
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end();
    this.onClose?.();
  }
}
