/** A minimal DER reader: enough to walk certificate extensions and check an ECDSA signature's structure. */

export class DerError extends Error {
  override readonly name = 'DerError';
}

export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number; only low tag numbers are supported). */
  readonly tag: number;
  /** The contents octets. */
  readonly value: Buffer;
  /** The whole element, header included. */
  readonly raw: Buffer;
}

export const DerTag = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  ia5String: 0x16,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Read one element at `offset`; returns it and the offset after it. */
export function readElement(buf: Buffer, offset = 0): { element: DerElement; next: number } {
  if (offset + 2 > buf.length) throw new DerError('truncated DER element');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported DER length encoding');
    if (pos + n > buf.length) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    if (buf[pos] === 0 || len < 0x80) throw new DerError('non-minimal DER length');
    pos += n;
  }
  if (pos + len > buf.length) throw new DerError('DER element extends past the end of its data');
  return { element: { tag, value: buf.subarray(pos, pos + len), raw: buf.subarray(offset, pos + len) }, next: pos + len };
}

/** Exactly one element filling `buf`. */
export function readSingle(buf: Buffer): DerElement {
  const { element, next } = readElement(buf, 0);
  if (next !== buf.length) throw new DerError('trailing data after DER element');
  return element;
}

/** The elements inside a constructed element (SEQUENCE, SET, explicit tag). */
export function children(el: DerElement): DerElement[] {
  if ((el.tag & 0x20) === 0) throw new DerError(`DER element with tag 0x${el.tag.toString(16)} is not constructed`);
  const out: DerElement[] = [];
  let pos = 0;
  while (pos < el.value.length) {
    const { element, next } = readElement(el.value, pos);
    out.push(element);
    pos = next;
  }
  return out;
}

/** Dotted text of an OBJECT IDENTIFIER's contents. */
export function decodeOid(value: Buffer): string {
  if (value.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i]!;
    n = n * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(n);
      n = 0;
    } else if (i === value.length - 1) {
      throw new DerError('truncated OID');
    }
  }
  const first = parts[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts.slice(1)].join('.');
}

/** The extensions of an X.509 certificate, as `{ oid, critical, value }` in order. */
export function certificateExtensions(der: Buffer): { oid: string; critical: boolean; value: Buffer }[] {
  const cert = readSingle(der);
  const tbs = children(cert)[0];
  if (tbs === undefined || tbs.tag !== DerTag.sequence) throw new DerError('certificate has no TBSCertificate');
  const explicit3 = children(tbs).find((e) => e.tag === 0xa3);
  if (explicit3 === undefined) return [];
  const list = children(explicit3)[0];
  if (list === undefined || list.tag !== DerTag.sequence) throw new DerError('malformed extensions');
  return children(list).map((ext) => {
    const parts = children(ext);
    const oid = parts[0];
    if (oid === undefined || oid.tag !== DerTag.oid) throw new DerError('extension without an OID');
    let critical = false;
    let valueEl = parts[1];
    if (valueEl !== undefined && valueEl.tag === 0x01) {
      critical = valueEl.value.length === 1 && valueEl.value[0] !== 0;
      valueEl = parts[2];
    }
    if (valueEl === undefined || valueEl.tag !== DerTag.octetString) throw new DerError('extension without a value');
    return { oid: decodeOid(oid.value), critical, value: valueEl.value };
  });
}

/** True when `sig` is exactly a DER SEQUENCE of two INTEGERs (an ECDSA-Sig-Value). */
export function isEcdsaDerSignature(sig: Buffer): boolean {
  try {
    const seq = readSingle(sig);
    if (seq.tag !== DerTag.sequence) return false;
    const parts = children(seq);
    return parts.length === 2 && parts.every((p) => p.tag === DerTag.integer && p.value.length > 0);
  } catch {
    return false;
  }
}
