import { type Agent, request } from 'node:http';

/** A JSON answer: status and parsed body (undefined when the body was empty or not JSON). */
export interface JsonResponse<T> {
  status: number;
  body: T;
  text: string;
}

/** One request to the server under test. */
export interface JsonRequest {
  agent: Agent;
  baseUrl: string;
  method: 'GET' | 'POST';
  path: string;
  token?: string;
  body?: unknown;
}

/** Sends one request with plain `node:http` on `agent` and reads the whole answer. */
export function requestJson<T>(options: JsonRequest): Promise<JsonResponse<T>> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = Buffer.byteLength(payload).toString();
  }
  return new Promise((resolve, reject) => {
    const req = request(
      `${options.baseUrl}${options.path}`,
      { method: options.method, headers, agent: options.agent },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', reject);
        res.on('end', () => {
          let body: unknown;
          try {
            body = text === '' ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body: body as T, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
