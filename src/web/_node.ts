// Shared by the Node framework adapters (Express, Fastify): a Node request
// as a Web Request, and a Web Response written to a Node response. They only
// translate; every decision is the flow's.

/**
 * The parts of a Node `IncomingMessage` the adapters read.
 *
 * @example
 * ```ts
 * import type { NodeRequestLike } from 'otpgate/web/express';
 * const method = (req: NodeRequestLike) => req.method ?? 'GET';
 * ```
 */
export interface NodeRequestLike {
  /** The HTTP method. */
  readonly method?: string | undefined;
  /** The path and query. */
  readonly url?: string | undefined;
  /** The headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body, as a stream of chunks. */
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

/**
 * The parts of a Node `ServerResponse` the adapters write.
 *
 * @example
 * ```ts
 * import type { NodeResponseLike } from 'otpgate/web/express';
 * const status = (res: NodeResponseLike) => res.statusCode;
 * ```
 */
export interface NodeResponseLike {
  /** The status to send. */
  statusCode: number;
  /** Sets a header. */
  setHeader(name: string, value: string | readonly string[]): unknown;
  /** A header set already. */
  getHeader(name: string): unknown;
  /** Sends the body and ends the response. */
  end(body?: Uint8Array): unknown;
}

const MAX_BODY = 16 * 1024;

function headersOf(raw: NodeRequestLike['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (typeof value === 'string') headers.set(name, value);
    else for (const item of value) headers.append(name, item);
  }
  return headers;
}

/**
 * A Web Request for a Node request. `body` is what a body parser left: a
 * string, or an object already parsed from a form or JSON (re-encoded); with
 * none, the stream is read (at most 16 KiB more than the flow reads).
 */
export async function toWebRequest(req: NodeRequestLike, origin: string, path: string, body?: unknown): Promise<Request> {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = headersOf(req.headers);
  const init: RequestInit = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const type = (headers.get('content-type') ?? '').toLowerCase();
    if (typeof body === 'string') {
      init.body = body;
    } else if (body !== undefined && body !== null && typeof body === 'object' && !(body instanceof Uint8Array)) {
      init.body = type.startsWith('application/json') ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString();
    } else if (body instanceof Uint8Array) {
      init.body = new Uint8Array(body);
    } else {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of req) {
        const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : (chunk as Uint8Array);
        size += bytes.byteLength;
        chunks.push(bytes);
        // The flow answers 413 beyond its limit; reading on would only cost memory.
        if (size > MAX_BODY) break;
      }
      const all = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        all.set(chunk, at);
        at += chunk.byteLength;
      }
      init.body = all;
    }
    headers.delete('content-length');
  }
  return new Request(new URL(path, origin), init);
}

/** Writes a Web Response to a Node response, keeping cookies the host set on it already. */
export async function writeResponse(response: Response, res: NodeResponseLike): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) {
    const before = res.getHeader('set-cookie');
    const kept = before === undefined ? [] : Array.isArray(before) ? (before as string[]) : [String(before)];
    res.setHeader('set-cookie', [...kept, ...cookies]);
  }
  const body = response.body === null ? undefined : new Uint8Array(await response.arrayBuffer());
  res.end(body);
}
