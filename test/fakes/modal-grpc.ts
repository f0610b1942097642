/**
 * A fake Modal control plane: gRPC over cleartext HTTP/2 on 127.0.0.1, enough to
 * watch what Modal's JS SDK sends when Cairn creates and terminates a sandbox.
 * Messages are decoded with a schema-less protobuf reader (field number → values)
 * and answered from handlers that encode replies by field number. Methods without
 * a handler answer UNIMPLEMENTED, which the SDK reports as an error.
 */
import { createServer, type Http2Server, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** A decoded message: field number → the values seen (varints as bigint, the rest as bytes). */
export type Fields = Map<number, (bigint | Buffer)[]>;

export interface GrpcCall {
  /** `/modal.client.ModalClient/SandboxCreate` */
  path: string;
  method: string;
  metadata: Record<string, string>;
  message: Fields;
}

export type GrpcAnswer = { message: Buffer } | { status: number; details: string };
export type GrpcHandler = (call: GrpcCall) => GrpcAnswer;

export interface FakeModalServer {
  url: string;
  calls: GrpcCall[];
  handle(method: string, handler: GrpcHandler): void;
  close(): Promise<void>;
}

export async function startFakeModalServer(): Promise<FakeModalServer> {
  const calls: GrpcCall[] = [];
  const handlers = new Map<string, GrpcHandler>();
  const server: Http2Server = createServer();
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const path = String(headers[':path']);
      const body = Buffer.concat(chunks);
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(headers)) if (!key.startsWith(':') && typeof value === 'string') metadata[key] = value;
      const call: GrpcCall = { path, method: path.split('/').pop() ?? '', metadata, message: decodeMessage(body.subarray(5)) };
      calls.push(call);
      const answer = handlers.get(call.method)?.(call) ?? { status: 12, details: `fake Modal server has no ${call.method}` };
      if ('status' in answer) {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(answer.status), 'grpc-message': answer.details }, { endStream: true });
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(answer.message.length, 1);
      stream.end(Buffer.concat([prefix, answer.message]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    handle: (method, handler) => void handlers.set(method, handler),
    close: async () => {
      // The SDK keeps its channel open (keepalives); close the sessions so the server can stop.
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function decodeMessage(bytes: Buffer): Fields {
  const fields: Fields = new Map();
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[offset++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    let value: bigint | Buffer;
    switch (key & 7) {
      case 0:
        value = varint();
        break;
      case 1:
        value = bytes.subarray(offset, (offset += 8));
        break;
      case 2: {
        const length = Number(varint());
        value = bytes.subarray(offset, (offset += length));
        break;
      }
      case 5:
        value = bytes.subarray(offset, (offset += 4));
        break;
      default:
        throw new Error(`unsupported wire type in field ${field}`);
    }
    fields.set(field, [...(fields.get(field) ?? []), value]);
  }
  return fields;
}

/** The text of a string field. */
export function text(fields: Fields, field: number): string | undefined {
  const value = fields.get(field)?.[0];
  return value instanceof Buffer ? value.toString('utf8') : undefined;
}

export function nested(fields: Fields, field: number): Fields | undefined {
  const value = fields.get(field)?.[0];
  return value instanceof Buffer ? decodeMessage(value) : undefined;
}

export function varintField(fields: Fields, field: number): number | undefined {
  const value = fields.get(field)?.[0];
  return typeof value === 'bigint' ? Number(value) : undefined;
}

/** Encodes a message from [field number, value] pairs: strings and buffers length-delimited, numbers as varints. */
export function encodeMessage(entries: [number, string | number | Buffer][]): Buffer {
  const parts: Buffer[] = [];
  const varint = (value: number) => {
    const out: number[] = [];
    let rest = value;
    while (rest > 0x7f) {
      out.push((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    out.push(rest);
    return Buffer.from(out);
  };
  for (const [field, value] of entries) {
    if (typeof value === 'number') {
      parts.push(varint(field << 3), varint(value));
    } else {
      const bytes = typeof value === 'string' ? Buffer.from(value) : value;
      parts.push(varint((field << 3) | 2), varint(bytes.length), bytes);
    }
  }
  return Buffer.concat(parts);
}
