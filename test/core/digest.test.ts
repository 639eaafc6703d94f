import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import {
  DigestComputer,
  DigestVerifier,
  digestAlgorithm,
  digestHex,
  digestOf,
  isDigest,
  parseDigest,
  shortDigest,
  verifyBytes,
  type Digest,
} from '../../src/core/digest.js';
import { IntegrityError } from '../../src/core/errors.js';
import { expectCode, expectCodeAsync } from '../helpers/expect-code.js';

const hex64 = 'a1b2c3d4e5f60718'.repeat(4);
const hex128 = '0f1e2d3c4b5a6978'.repeat(8);

describe('parseDigest', () => {
  for (const value of [`sha256:${hex64}`, `sha512:${hex128}`, digestOf('')]) {
    it(`accepts ${value.slice(0, 20)}…`, () => {
      assert.equal(parseDigest(value), value);
      assert.ok(isDigest(value));
    });
  }

  const invalid: ReadonlyArray<readonly [string, string]> = [
    ['', 'not a digest'],
    ['sha256', 'not a digest'],
    ['sha256:', 'not a digest'],
    [`:${hex64}`, 'not a digest'],
    [`SHA256:${hex64}`, 'not a valid digest'],
    [`sha256:${hex64.slice(1)}`, '64 lowercase hex'],
    [`sha256:${hex64}0`, '64 lowercase hex'],
    [`sha256:${hex64.toUpperCase()}`, '64 lowercase hex'],
    [`sha256:${hex64.slice(1)}g`, '64 lowercase hex'],
    [`sha256:${hex64.slice(0, 32)} ${hex64.slice(33)}`, 'not a valid digest'],
    [`sha256:${hex64}:${hex64}`, 'not a valid digest'],
    [`sha512:${hex64}`, '128 lowercase hex'],
    [`sha256+:${hex64}`, 'not a valid digest'],
  ];
  for (const [value, fragment] of invalid) {
    it(`rejects ${JSON.stringify(value.length > 24 ? `${value.slice(0, 21)}...` : value)}`, () => {
      const err = expectCode(() => parseDigest(value), 'INVALID_DIGEST');
      assert.ok(err.message.includes(fragment), err.message);
      assert.equal(isDigest(value), false);
    });
  }

  for (const value of [`md5:${'f'.repeat(32)}`, `sha384:${'f'.repeat(96)}`, `sha256+b64u:${hex64}`, `blake3:${hex64}`]) {
    it(`reports ${value.slice(0, value.indexOf(':'))} as unsupported`, () => {
      const err = expectCode(() => parseDigest(value), 'UNSUPPORTED_DIGEST_ALGORITHM');
      assert.ok(err.message.includes(`"${value.slice(0, value.indexOf(':'))}"`), err.message);
    });
  }

  it('names the value and where it came from', () => {
    const err = expectCode(() => parseDigest('sha256:00', 'config.digest'), 'INVALID_DIGEST');
    assert.ok(err.message.startsWith('config.digest: '), err.message);
    assert.ok(err.message.includes('"sha256:00"'), err.message);
  });
});

describe('digest helpers', () => {
  it('splits a digest', () => {
    const d = parseDigest(`sha512:${hex128}`);
    assert.equal(digestAlgorithm(d), 'sha512');
    assert.equal(digestHex(d), hex128);
    assert.equal(shortDigest(d), hex128.slice(0, 12));
    assert.equal(shortDigest(d, 4), hex128.slice(0, 4));
  });

  it('digestOf hashes bytes and strings alike', () => {
    const sha256Empty = `sha256:${createHash('sha256').update('').digest('hex')}`;
    assert.equal(digestOf(''), sha256Empty);
    assert.equal(digestOf(new Uint8Array()), sha256Empty);
    assert.equal(digestOf('abc', 'sha512'), `sha512:${createHash('sha512').update('abc').digest('hex')}`);
  });

  it('verifyBytes accepts matching content and reports a mismatch with both digests', () => {
    const bytes = Buffer.from('layer contents');
    verifyBytes(bytes, digestOf(bytes));
    verifyBytes(bytes, digestOf(bytes, 'sha512'));
    const expected = digestOf('something else');
    const err = expectCode(() => verifyBytes(bytes, expected, 'manifest'), 'DIGEST_MISMATCH');
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, expected);
    assert.equal(err.actual, digestOf(bytes));
    assert.ok(err.message.startsWith('manifest: digest mismatch'), err.message);
  });
});

/** A sink that records what it receives and whether it saw a successful end. */
class RecordingSink extends Writable {
  readonly chunks: Buffer[] = [];
  ended = false;

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.ended = true;
    cb();
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function source(chunks: readonly string[]): Readable {
  return Readable.from(chunks.map((c) => Buffer.from(c)));
}

describe('DigestVerifier', () => {
  const content = ['hello, ', 'container ', 'world'];
  const whole = content.join('');
  const good = digestOf(whole);

  it('passes matching content through unchanged, with or without a size', async () => {
    for (const size of [whole.length, -1, undefined]) {
      const sink = new RecordingSink();
      const verifier = new DigestVerifier(good, { size });
      await pipeline(source(content), verifier, sink);
      assert.equal(sink.received.toString(), whole);
      assert.ok(sink.ended);
      assert.equal(verifier.actual, good);
      assert.equal(verifier.bytesSeen, whole.length);
    }
  });

  it('verifies a sha512 digest and empty content', async () => {
    await pipeline(source(content), new DigestVerifier(digestOf(whole, 'sha512'), { size: whole.length }), new RecordingSink());
    const sink = new RecordingSink();
    await pipeline(source([]), new DigestVerifier(digestOf(''), { size: 0 }), sink);
    assert.ok(sink.ended);
  });

  it('fails with DIGEST_MISMATCH on altered content of the right size, before the consumer sees the end', async () => {
    const sink = new RecordingSink();
    const altered = ['hello, ', 'container ', 'World'];
    const err = await expectCodeAsync(
      () => pipeline(source(altered), new DigestVerifier(good, { size: whole.length, what: 'layer 1' }), sink),
      'DIGEST_MISMATCH',
    );
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, good);
    assert.equal(err.actual, digestOf(altered.join('')));
    assert.ok(err.message.startsWith('layer 1: digest mismatch'), err.message);
    assert.equal(sink.ended, false);
  });

  it('fails with DIGEST_MISMATCH when the size is unknown', async () => {
    const sink = new RecordingSink();
    await expectCodeAsync(() => pipeline(source(['tampered']), new DigestVerifier(good), sink), 'DIGEST_MISMATCH');
    assert.equal(sink.ended, false);
  });

  it('fails with SIZE_MISMATCH as soon as a longer stream passes the size, forwarding no more than the size', async () => {
    const sink = new RecordingSink();
    const longer = [...content, '!', 'and more'];
    const err = await expectCodeAsync(() => pipeline(source(longer), new DigestVerifier(good, { size: whole.length }), sink), 'SIZE_MISMATCH');
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, String(whole.length));
    assert.equal(sink.ended, false);
    assert.ok(sink.received.length <= whole.length, `forwarded ${sink.received.length} bytes`);
  });

  it('fails with SIZE_MISMATCH on a shorter stream even if its digest were right', async () => {
    const sink = new RecordingSink();
    const short = content.slice(0, 2);
    // The digest names the short content: only the size is wrong.
    const err = await expectCodeAsync(
      () => pipeline(source(short), new DigestVerifier(digestOf(short.join('')), { size: whole.length }), sink),
      'SIZE_MISMATCH',
    );
    assert.ok(err instanceof IntegrityError);
    assert.equal(err.expected, String(whole.length));
    assert.equal(err.actual, String(short.join('').length));
    assert.equal(sink.ended, false);
  });

  it('fails with SIZE_MISMATCH on a shorter stream with the original digest', async () => {
    const sink = new RecordingSink();
    await expectCodeAsync(() => pipeline(source(content.slice(0, 1)), new DigestVerifier(good, { size: whole.length }), sink), 'SIZE_MISMATCH');
    assert.equal(sink.ended, false);
  });
});

describe('DigestComputer', () => {
  it('computes the digest and size of what flows through', async () => {
    const computer = new DigestComputer();
    const sink = new RecordingSink();
    await pipeline(source(['ab', 'cd']), computer, sink);
    assert.equal(computer.digest, digestOf('abcd'));
    assert.equal(computer.size, 4);
    assert.equal(sink.received.toString(), 'abcd');

    const c512 = new DigestComputer('sha512');
    await pipeline(source(['x']), c512, new RecordingSink());
    assert.equal(c512.digest, digestOf('x', 'sha512') as Digest);
  });
});
