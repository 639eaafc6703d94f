/**
 * `signet serve` over HTTPS (`tls.cert`/`tls.key`): skopeo and `signet copy` push and pull with certificate
 * verification on, trusting the registry's certificate authority; a client that does not trust it is refused
 * before anything is sent. The token realm the registry advertises is HTTPS too.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { request } from 'node:https';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeDirImage, type FixtureImage } from '../fixtures/images.js';
import { findPeer, peerAvailable } from '../helpers/peers.js';
import { signet, skopeo } from '../helpers/run.js';
import { startSignetRegistry, type TestRegistry } from '../helpers/signet-registry.js';

const ready = peerAvailable('skopeo') && peerAvailable('openssl');
let work: string;
let registry: TestRegistry;
let image: FixtureImage;
let certDir: string;
let caFile: string;
let creds: string;

/** A throw-away CA and a server certificate it signed for 127.0.0.1, made with openssl in `dir`. */
function makeCertificates(dir: string): void {
  const openssl = findPeer('openssl') as string;
  const run = (args: string[]): void => {
    const r = spawnSync(openssl, args, { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'ext.cnf'), '[v3]\nsubjectAltName = IP:127.0.0.1\nbasicConstraints = CA:FALSE\n');
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=signet-test-ca']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extensions', 'v3', '-extfile', 'ext.cnf']);
}

before(async () => {
  if (!ready) return;
  work = await mkdtemp(join(tmpdir(), 'signet-serve-tls-'));
  makeCertificates(work);
  // skopeo reads trusted CAs from *.crt files in a certificate directory.
  certDir = join(work, 'certs.d');
  await mkdir(certDir);
  caFile = join(work, 'ca.pem');
  await writeFile(join(certDir, 'ca.crt'), await readFile(caFile));
  registry = await startSignetRegistry({ tls: { cert: join(work, 'server.crt'), key: join(work, 'server.key') } });
  creds = `${registry.user}:${registry.password}`;
  image = makeImage({ seed: 'serve-tls', layers: 2 });
  await writeDirImage(join(work, 'src'), image);
});

after(async () => {
  if (!ready) return;
  await registry.stop();
  await rm(work, { recursive: true, force: true });
});

describe('signet serve over HTTPS', { skip: !ready }, () => {
  it('serves https:// and advertises an https token realm', async () => {
    assert.match(registry.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(caFile);
    const challenge = await new Promise<string | undefined>((resolve, reject) => {
      request(`${registry.url}/v2/`, { ca }, (res) => {
        res.resume();
        resolve(res.headers['www-authenticate']);
      })
        .on('error', reject)
        .end();
    });
    assert.match(challenge ?? '', new RegExp(`^Bearer realm="https://127\\.0\\.0\\.1:\\d+/token"`));
  });

  it('skopeo pushes and pulls with certificate verification on when it trusts the CA, and is refused when it does not', async () => {
    const ref = `docker://${registry.address}/secure/app:1`;
    const untrusted = await skopeo(['copy', '--dest-creds', creds, `dir:${join(work, 'src')}`, ref]);
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate|x509/i);
    const push = await skopeo(['copy', '--dest-cert-dir', certDir, '--dest-creds', creds, `dir:${join(work, 'src')}`, ref]);
    assert.equal(push.code, 0, push.stderr);
    const pull = await skopeo(['copy', '--src-cert-dir', certDir, '--src-creds', creds, ref, `dir:${join(work, 'pulled-by-skopeo')}`]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.deepEqual(await readFile(join(work, 'pulled-by-skopeo', 'manifest.json')), image.manifest);
  });

  it('signet copy pulls over verified TLS with the CA added to Node\'s trust, and refuses without it', async () => {
    const ref = `docker://${registry.address}/secure/app:1`;
    const refused = await signet(['--insecure-policy', 'copy', '-q', '--src-creds', creds, ref, `dir:${join(work, 'refused')}`]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /certificate/i);
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: caFile };
    const pull = await signet(['--insecure-policy', 'copy', '-q', '--src-creds', creds, ref, `dir:${join(work, 'pulled-by-signet')}`], { env });
    assert.equal(pull.code, 0, pull.stderr);
    assert.deepEqual(await readFile(join(work, 'pulled-by-signet', 'manifest.json')), image.manifest);
  });
});
