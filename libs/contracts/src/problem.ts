/** RFC 9457 problem details, the body of every REST error (contract: Errors). */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: FieldError[];
  /** Seconds, present on 429 answers (also sent as the `Retry-After` header). */
  retryAfter?: number;
}

/** Error ack payload of the Socket.IO gateway (contract: Realtime). */
export type SocketErrorCode =
  'invalid_request' | 'invalid_channel' | 'forbidden' | 'unauthorized' | 'rate_limited' | 'internal';

export interface SocketError {
  code: SocketErrorCode;
  message: string;
}
