import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerTransport, parseDockerReference } from '../../../src/transports/docker/index.js';
import { expectCode } from '../../helpers/expect-code.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('docker transport references', () => {
  it('is named docker', () => {
    assert.equal(dockerTransport.name, 'docker');
  });

  it('normalises short names and adds :latest to a name alone', () => {
    const ref = dockerTransport.parseReference('//busybox');
    assert.deepEqual({ ...ref.dockerReference }, { domain: 'docker.io', path: 'library/busybox', tag: 'latest', digest: undefined });
    assert.equal(ref.stringWithinTransport(), '//busybox:latest');
    assert.equal(ref.toString(), 'docker://busybox:latest');
    assert.equal(ref.policyConfigurationIdentity(), 'docker.io/library/busybox:latest');
    assert.deepEqual(ref.policyConfigurationNamespaces(), ['docker.io/library/busybox', 'docker.io/library', 'docker.io', '*.io']);
  });

  it('keeps a registry with a port, a tag or a digest', () => {
    const tagged = parseDockerReference('//127.0.0.1:5000/ns/app:v1');
    assert.equal(tagged.dockerReference.domain, '127.0.0.1:5000');
    assert.equal(tagged.dockerReference.path, 'ns/app');
    assert.equal(tagged.dockerReference.tag, 'v1');
    assert.equal(tagged.stringWithinTransport(), '//127.0.0.1:5000/ns/app:v1');
    assert.equal(tagged.tagOrDigest(), 'v1');

    const digested = parseDockerReference(`//quay.io/ns/app@${digest}`);
    assert.equal(digested.dockerReference.tag, undefined);
    assert.equal(digested.dockerReference.digest, digest);
    assert.equal(digested.policyConfigurationIdentity(), `quay.io/ns/app@${digest}`);
    assert.equal(digested.tagOrDigest(), digest);
    // The string round-trips through the parser.
    assert.deepEqual(
      { ...dockerTransport.parseReference(digested.stringWithinTransport()).dockerReference },
      { ...digested.dockerReference },
    );
  });

  it('requires the leading //', () => {
    expectCode(() => dockerTransport.parseReference('busybox'), 'INVALID_REFERENCE');
    expectCode(() => dockerTransport.parseReference('/busybox'), 'INVALID_REFERENCE');
  });

  it('refuses a tag and a digest together', () => {
    const err = expectCode(() => dockerTransport.parseReference(`//quay.io/ns/app:v1@${digest}`), 'INVALID_REFERENCE');
    assert.match(err.message, /both a tag and a digest/);
  });

  it('refuses malformed names', () => {
    expectCode(() => dockerTransport.parseReference('//UPPER/Case'), 'INVALID_REFERENCE');
    expectCode(() => dockerTransport.parseReference('//'), 'INVALID_REFERENCE');
  });

  it('accepts any policy scope', () => {
    for (const scope of ['docker.io', '*.example.com', 'whatever goes', 'quay.io/ns/app:tag']) {
      assert.doesNotThrow(() => dockerTransport.validatePolicyConfigurationScope(scope));
    }
  });
});
