/** Small images and fake HTTP servers for the docker transport tests. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { digestOf, type Digest } from '../../../src/core/index.js';
import type { RegistryClient, RepositoryRef } from '../../../src/transports/docker/index.js';

export interface TestBlob {
  readonly bytes: Buffer;
  readonly digest: Digest;
  readonly size: number;
}

export interface TestImage {
  readonly config: TestBlob;
  readonly layers: readonly TestBlob[];
  readonly manifest: Buffer;
  readonly manifestDigest: Digest;
  readonly mediaType: string;
}

export function blob(bytes: Buffer): TestBlob {
  return { bytes, digest: digestOf(bytes), size: bytes.length };
}

export const ociManifestType = 'application/vnd.oci.image.manifest.v1+json';

/** An OCI image: a small config and `layerCount` layers of random bytes (the registry does not look inside). */
export function makeTestImage(layerCount = 2, layerSize = 1500): TestImage {
  const config = blob(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex') })),
  );
  const layers = Array.from({ length: layerCount }, () => blob(randomBytes(layerSize)));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifestType,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }),
  );
  return { config, layers, manifest, manifestDigest: digestOf(manifest), mediaType: ociManifestType };
}

/** Push every blob and the manifest under `tag` with the client's low-level API. */
export async function pushTestImage(client: RegistryClient, repo: RepositoryRef, image: TestImage, tag: string): Promise<void> {
  for (const b of [image.config, ...image.layers]) {
    if ((await client.statBlob(repo, b.digest)) === undefined) await client.putBlob(repo, Readable.from([b.bytes]), b);
  }
  await client.putManifest(repo, tag, image.manifest, image.mediaType);
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => unknown;

export interface FakeServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Every request seen, in order. */
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; body: Buffer }[];
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1 answering with `handler`. */
export async function startFakeServer(handler: Handler): Promise<FakeServer> {
  const requests: FakeServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      Promise.resolve(handler(req, res, body)).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length), ...headers });
  res.end(body);
}

export function ociError(code: string, message: string): unknown {
  return { errors: [{ code, message, detail: null }] };
}
