import type { DigiflazzConfig } from '../../config/app.config';

/** The answer's `data` object; every field is as the supplier sent it (validated by the caller). */
export type DigiflazzData = Record<string, unknown>;

export interface DigiflazzAnswer {
  httpStatus: number;
  /** `data` when it was an object; a list for the price list; null when the body was not JSON of that shape. */
  data: DigiflazzData | DigiflazzData[] | null;
}

/** The supplier did not answer in a usable way (network, timeout, abort): nothing can be concluded. */
export class DigiflazzUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigiflazzUnreachableError';
  }
}

/**
 * The HTTP side of the buyer API: POST JSON, `{data}` back (also on non-2xx). Signs each call;
 * the api key goes into the md5 only and never into an error message or log line.
 */
export class DigiflazzClient {
  constructor(private readonly config: DigiflazzConfig) {}

  get username(): string {
    return this.config.username;
  }

  sign(suffix: string): string {
    return this.config.sign(suffix);
  }

  async post(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<DigiflazzAnswer> {
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.config.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        signal: combined,
      });
      text = await response.text();
    } catch (err) {
      const reason = timeout.aborted ? `no answer within ${this.config.timeoutMs} ms` : (err as Error).message;
      throw new DigiflazzUnreachableError(`supplier ${path}: ${reason}`);
    }
    return { httpStatus: response.status, data: parseData(text) };
  }
}

function parseData(text: string): DigiflazzAnswer['data'] {
  try {
    const parsed = JSON.parse(text) as { data?: unknown };
    const data = parsed?.data;
    if (Array.isArray(data)) return data.filter((d): d is DigiflazzData => typeof d === 'object' && d !== null);
    return typeof data === 'object' && data !== null ? (data as DigiflazzData) : null;
  } catch {
    return null;
  }
}
