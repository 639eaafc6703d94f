/**
 * containers-policy.json, parsed as paranoidly as containers/image (signature/policy_config*.go): duplicate
 * keys at any depth, unknown keys, wrong types, empty requirement lists and inconsistent requirements are
 * errors that name the file, the JSON path and what is wrong. Unknown transports are accepted as they are;
 * scopes of the transports containers/image knows are validated as each transport does.
 *
 * Where containers/image accepts something odd, so does this parser, so that a policy file means the same to
 * both: `null` for the optional sigstore key fields counts as absent, `signedBy.keyPaths: []` parses (and then
 * trusts no key), `null` elements of string lists are empty strings.
 */
import { parseNormalizedNamed, isNameOnly, JsonParseError, parseJsonTree, type JsonNode } from '../core/index.js';
import { PolicyError } from './errors.js';
import { decodeGoBase64 } from './go-base64.js';
import { formatPath, type JsonPath } from './json-path.js';
import { cleanPath } from './path-clean.js';
import type {
  Policy,
  Requirement,
  SignedByKeyType,
  SignedIdentity,
  SigstoreFulcio,
  SigstorePki,
  SigstoreSignedRequirement,
  TransportScopes,
} from './policy.types.js';

type Members = ReadonlyMap<string, JsonNode>;

class PolicyReader {
  constructor(private readonly source: string) {}

  fail(path: JsonPath, what: string): never {
    throw new PolicyError('INVALID_POLICY', `invalid policy in ${this.source}: ${formatPath(path)}: ${what}`);
  }

  object(node: JsonNode, path: JsonPath, what: string): Members {
    if (node.kind !== 'object') this.fail(path, `${what} must be a JSON object, got ${describe(node)}`);
    return new Map(node.entries);
  }

  onlyKeys(members: Members, path: JsonPath, allowed: readonly string[], what: string): void {
    for (const key of members.keys()) {
      if (!allowed.includes(key)) {
        this.fail([...path, key], `unknown key ${JSON.stringify(key)} in ${what} (allowed: ${allowed.join(', ')})`);
      }
    }
  }

  string(node: JsonNode, path: JsonPath): string {
    if (node.kind !== 'string') this.fail(path, `must be a string, got ${describe(node)}`);
    return node.value;
  }

  /** A string where Go would also accept `null` (and read it as ""). */
  stringOrNull(node: JsonNode, path: JsonPath): string {
    return node.kind === 'null' ? '' : this.string(node, path);
  }

  bytes(node: JsonNode, path: JsonPath): Uint8Array {
    const text = this.string(node, path);
    const decoded = decodeGoBase64(text);
    if (decoded === undefined) this.fail(path, 'must be standard base64 with padding (the key bytes, base64-encoded)');
    return decoded;
  }

  /** Bytes where `null` means absent. */
  bytesOrNull(node: JsonNode, path: JsonPath): Uint8Array | undefined {
    return node.kind === 'null' ? undefined : this.bytes(node, path);
  }

  stringList(node: JsonNode, path: JsonPath): string[] {
    if (node.kind !== 'array') this.fail(path, `must be an array of strings, got ${describe(node)}`);
    return node.items.map((item, i) => this.stringOrNull(item, [...path, i]));
  }

  bytesList(node: JsonNode, path: JsonPath): Uint8Array[] {
    if (node.kind !== 'array') this.fail(path, `must be an array of base64 strings, got ${describe(node)}`);
    return node.items.map((item, i) => this.bytesOrNull(item, [...path, i]) ?? new Uint8Array(0));
  }
}

function describe(node: JsonNode): string {
  switch (node.kind) {
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'string':
      return `the string ${JSON.stringify(node.value)}`;
    case 'number':
      return `the number ${node.text}`;
    case 'boolean':
      return `${String(node.value)}`;
    case 'null':
      return 'null';
  }
}

/** The top-level value and 1000 levels below it. */
const policyMaxDepth = 1000 + 1;

const requirementTypes = ['insecureAcceptAnything', 'reject', 'signedBy', 'signedBaseLayer', 'sigstoreSigned'] as const;
const identityTypes = ['matchExact', 'matchRepoDigestOrExact', 'matchRepository', 'exactReference', 'exactRepository', 'remapIdentity'] as const;
const keyTypes: readonly SignedByKeyType[] = ['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'];

/**
 * Parses containers-policy.json. `source` names the file in error messages. Throws
 * `PolicyError('INVALID_POLICY')`.
 */
export function parsePolicy(text: string | Uint8Array, source: string): Policy {
  const r: PolicyReader = new PolicyReader(source);
  let root: JsonNode;
  try {
    root = parseJsonTree(text, { duplicateKeys: 'reject', maxDepth: policyMaxDepth });
  } catch (err) {
    if (err instanceof JsonParseError) r.fail(err.path, `${err.problem} at line ${err.line} column ${err.column}`);
    throw err;
  }
  const top = r.object(root, [], 'the policy');
  r.onlyKeys(top, [], ['default', 'transports'], 'the policy');
  const defaultNode = top.get('default');
  if (defaultNode === undefined) r.fail([], 'the global "default" requirement list is missing');
  const defaults = parseRequirements(r, defaultNode, ['default']);

  const transports = new Map<string, TransportScopes>();
  const transportsNode = top.get('transports');
  if (transportsNode !== undefined) {
    const transportMembers = r.object(transportsNode, ['transports'], '"transports"');
    for (const [transport, scopesNode] of transportMembers) {
      const path = ['transports', transport];
      const scopeMembers = r.object(scopesNode, path, `the scopes of transport ${JSON.stringify(transport)}`);
      const scopes = new Map<string, readonly Requirement[]>();
      for (const [scope, reqsNode] of scopeMembers) {
        if (scope !== '') {
          const problem = scopeProblem(transport, scope);
          if (problem !== undefined) r.fail([...path, scope], `invalid scope for transport ${JSON.stringify(transport)}: ${problem}`);
        }
        scopes.set(scope, parseRequirements(r, reqsNode, [...path, scope]));
      }
      transports.set(transport, scopes);
    }
  }
  return { default: defaults, transports };
}

function parseRequirements(r: PolicyReader, node: JsonNode, path: JsonPath): Requirement[] {
  if (node.kind !== 'array') r.fail(path, `a requirement list must be a non-empty JSON array, got ${describe(node)}`);
  if (node.items.length === 0) r.fail(path, 'the requirement list must not be empty');
  return node.items.map((item, i) => parseRequirement(r, item, [...path, i]));
}

function parseRequirement(r: PolicyReader, node: JsonNode, path: JsonPath): Requirement {
  const m = r.object(node, path, 'a requirement');
  const typeNode = m.get('type');
  if (typeNode === undefined) r.fail(path, `the requirement has no "type" (one of ${requirementTypes.join(', ')})`);
  const type = r.string(typeNode, [...path, 'type']);
  switch (type) {
    case 'insecureAcceptAnything':
    case 'reject':
      r.onlyKeys(m, path, ['type'], `a ${type} requirement`);
      return { type };
    case 'signedBy':
      return parseSignedBy(r, m, path);
    case 'signedBaseLayer': {
      r.onlyKeys(m, path, ['type', 'baseLayerIdentity'], 'a signedBaseLayer requirement');
      const bli = m.get('baseLayerIdentity');
      if (bli === undefined) r.fail(path, 'a signedBaseLayer requirement needs "baseLayerIdentity"');
      return { type, baseLayerIdentity: parseSignedIdentity(r, bli, [...path, 'baseLayerIdentity']) };
    }
    case 'sigstoreSigned':
      return parseSigstoreSigned(r, m, path);
    default:
      return r.fail([...path, 'type'], `unknown requirement type ${JSON.stringify(type)} (expected one of ${requirementTypes.join(', ')})`);
  }
}

function parseIdentityField(r: PolicyReader, m: Members, path: JsonPath): SignedIdentity {
  const node = m.get('signedIdentity');
  return node === undefined ? { type: 'matchRepoDigestOrExact' } : parseSignedIdentity(r, node, [...path, 'signedIdentity']);
}

function parseSignedBy(r: PolicyReader, m: Members, path: JsonPath): Requirement {
  r.onlyKeys(m, path, ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'], 'a signedBy requirement');
  const keyTypeNode = m.get('keyType');
  if (keyTypeNode === undefined) r.fail(path, `a signedBy requirement needs "keyType" (one of ${keyTypes.join(', ')}; only GPGKeys is implemented)`);
  const keyTypeText = r.string(keyTypeNode, [...path, 'keyType']);
  const keyType = keyTypes.find((k) => k === keyTypeText);
  if (keyType === undefined) r.fail([...path, 'keyType'], `unknown keyType ${JSON.stringify(keyTypeText)} (expected one of ${keyTypes.join(', ')})`);

  const present = (['keyPath', 'keyPaths', 'keyData'] as const).filter((k) => m.has(k));
  if (present.length === 0) r.fail(path, 'a signedBy requirement needs exactly one of keyPath, keyPaths, keyData; none is present');
  if (present.length > 1) r.fail(path, `a signedBy requirement needs exactly one of keyPath, keyPaths, keyData; ${present.join(' and ')} are present`);
  const signedIdentity = parseIdentityField(r, m, path);
  const which = present[0];
  const node = m.get(which as string) as JsonNode;
  const at = [...path, which as string];
  if (node.kind === 'null') r.fail(at, `must not be null`);
  switch (which) {
    case 'keyPath': {
      const keyPath = r.string(node, at);
      if (keyPath === '') r.fail(at, 'must not be empty');
      return { type: 'signedBy', keyType, keyPath, signedIdentity };
    }
    case 'keyPaths':
      return { type: 'signedBy', keyType, keyPaths: r.stringList(node, at), signedIdentity };
    default:
      return { type: 'signedBy', keyType, keyData: r.bytes(node, at), signedIdentity };
  }
}

function parseSigstoreSigned(r: PolicyReader, m: Members, path: JsonPath): SigstoreSignedRequirement {
  r.onlyKeys(
    m,
    path,
    [
      'type',
      'keyPath',
      'keyPaths',
      'keyData',
      'keyDatas',
      'fulcio',
      'rekorPublicKeyPath',
      'rekorPublicKeyPaths',
      'rekorPublicKeyData',
      'rekorPublicKeyDatas',
      'pki',
      'signedIdentity',
    ],
    'a sigstoreSigned requirement',
  );
  const at = (k: string): JsonPath => [...path, k];
  const get = (k: string): JsonNode | undefined => m.get(k);
  let n: JsonNode | undefined;

  const out: {
    -readonly [K in keyof SigstoreSignedRequirement]: SigstoreSignedRequirement[K];
  } = { type: 'sigstoreSigned', signedIdentity: parseIdentityField(r, m, path) };

  if ((n = get('keyPath')) !== undefined) {
    const v = r.stringOrNull(n, at('keyPath'));
    if (v !== '') out.keyPath = v;
  }
  if ((n = get('keyPaths')) !== undefined) {
    if (n.kind === 'null') r.fail(at('keyPaths'), 'must list at least one path, got null');
    const v = r.stringList(n, at('keyPaths'));
    if (v.length === 0) r.fail(at('keyPaths'), 'must list at least one path');
    out.keyPaths = v;
  }
  if ((n = get('keyData')) !== undefined) {
    const v = r.bytesOrNull(n, at('keyData'));
    if (v !== undefined) out.keyData = v;
  }
  if ((n = get('keyDatas')) !== undefined) {
    if (n.kind === 'null') r.fail(at('keyDatas'), 'must list at least one key, got null');
    const v = r.bytesList(n, at('keyDatas'));
    if (v.length === 0) r.fail(at('keyDatas'), 'must list at least one key');
    out.keyDatas = v;
  }
  if ((n = get('fulcio')) !== undefined) out.fulcio = parseFulcio(r, n, at('fulcio'));
  if ((n = get('rekorPublicKeyPath')) !== undefined) {
    const v = r.stringOrNull(n, at('rekorPublicKeyPath'));
    if (v !== '') out.rekorPublicKeyPath = v;
  }
  if ((n = get('rekorPublicKeyPaths')) !== undefined) {
    if (n.kind === 'null') r.fail(at('rekorPublicKeyPaths'), 'must list at least one path, got null');
    const v = r.stringList(n, at('rekorPublicKeyPaths'));
    if (v.length === 0) r.fail(at('rekorPublicKeyPaths'), 'must list at least one path');
    out.rekorPublicKeyPaths = v;
  }
  if ((n = get('rekorPublicKeyData')) !== undefined) {
    const v = r.bytesOrNull(n, at('rekorPublicKeyData'));
    if (v !== undefined) out.rekorPublicKeyData = v;
  }
  if ((n = get('rekorPublicKeyDatas')) !== undefined) {
    if (n.kind === 'null') r.fail(at('rekorPublicKeyDatas'), 'must list at least one key, got null');
    const v = r.bytesList(n, at('rekorPublicKeyDatas'));
    if (v.length === 0) r.fail(at('rekorPublicKeyDatas'), 'must list at least one key');
    out.rekorPublicKeyDatas = v;
  }
  if ((n = get('pki')) !== undefined) out.pki = parsePki(r, n, at('pki'));

  const keySources = (['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'] as const).filter((k) => out[k] !== undefined);
  if (keySources.length !== 1) {
    r.fail(
      path,
      `a sigstoreSigned requirement needs exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki; ${
        keySources.length === 0 ? 'none is present' : `${keySources.join(' and ')} are present`
      }`,
    );
  }
  const rekorSources = (['rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData', 'rekorPublicKeyDatas'] as const).filter(
    (k) => out[k] !== undefined,
  );
  if (rekorSources.length > 1) r.fail(path, `at most one Rekor key source may be used; ${rekorSources.join(' and ')} are present`);
  if (out.fulcio !== undefined && rekorSources.length === 0) {
    r.fail(path, 'fulcio needs a Rekor public key (one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData, rekorPublicKeyDatas)');
  }
  if (out.pki !== undefined && rekorSources.length > 0) {
    r.fail([...path, rekorSources[0] as string], 'a Rekor public key is not supported together with pki');
  }
  return out;
}

function parseFulcio(r: PolicyReader, node: JsonNode, path: JsonPath): SigstoreFulcio {
  const m = r.object(node, path, '"fulcio"');
  r.onlyKeys(m, path, ['caPath', 'caData', 'oidcIssuer', 'subjectEmail'], '"fulcio"');
  const field = (k: string): string => {
    const n = m.get(k);
    return n === undefined ? '' : r.stringOrNull(n, [...path, k]);
  };
  const caPath = field('caPath');
  const caDataNode = m.get('caData');
  const caData = caDataNode === undefined ? undefined : r.bytesOrNull(caDataNode, [...path, 'caData']);
  if (caPath !== '' && caData !== undefined) r.fail(path, 'caPath and caData cannot be used together');
  if (caPath === '' && caData === undefined) r.fail(path, 'one of caPath and caData must be specified');
  const oidcIssuer = field('oidcIssuer');
  if (oidcIssuer === '') r.fail([...path, 'oidcIssuer'], 'oidcIssuer must be specified (non-empty)');
  const subjectEmail = field('subjectEmail');
  if (subjectEmail === '') r.fail([...path, 'subjectEmail'], 'subjectEmail must be specified (non-empty)');
  return { ...(caPath !== '' ? { caPath } : {}), ...(caData !== undefined ? { caData } : {}), oidcIssuer, subjectEmail };
}

function parsePki(r: PolicyReader, node: JsonNode, path: JsonPath): SigstorePki {
  const m = r.object(node, path, '"pki"');
  r.onlyKeys(m, path, ['caRootsPath', 'caRootsData', 'caIntermediatesPath', 'caIntermediatesData', 'subjectEmail', 'subjectHostname'], '"pki"');
  const str = (k: string): string => {
    const n = m.get(k);
    return n === undefined ? '' : r.stringOrNull(n, [...path, k]);
  };
  const bytes = (k: string): Uint8Array | undefined => {
    const n = m.get(k);
    return n === undefined ? undefined : r.bytesOrNull(n, [...path, k]);
  };
  const caRootsPath = str('caRootsPath');
  const caRootsData = bytes('caRootsData');
  const caIntermediatesPath = str('caIntermediatesPath');
  const caIntermediatesData = bytes('caIntermediatesData');
  const subjectEmail = str('subjectEmail');
  const subjectHostname = str('subjectHostname');
  if (caRootsPath !== '' && caRootsData !== undefined) r.fail(path, 'caRootsPath and caRootsData cannot be used together');
  if (caRootsPath === '' && caRootsData === undefined) r.fail(path, 'one of caRootsPath and caRootsData must be specified');
  if (caIntermediatesPath !== '' && caIntermediatesData !== undefined) {
    r.fail(path, 'caIntermediatesPath and caIntermediatesData cannot be used together');
  }
  if (subjectEmail === '' && subjectHostname === '') r.fail(path, 'at least one of subjectEmail and subjectHostname must be specified');
  return {
    ...(caRootsPath !== '' ? { caRootsPath } : {}),
    ...(caRootsData !== undefined ? { caRootsData } : {}),
    ...(caIntermediatesPath !== '' ? { caIntermediatesPath } : {}),
    ...(caIntermediatesData !== undefined ? { caIntermediatesData } : {}),
    ...(subjectEmail !== '' ? { subjectEmail } : {}),
    ...(subjectHostname !== '' ? { subjectHostname } : {}),
  };
}

function parseSignedIdentity(r: PolicyReader, node: JsonNode, path: JsonPath): SignedIdentity {
  const m = r.object(node, path, 'a signedIdentity');
  const typeNode = m.get('type');
  if (typeNode === undefined) r.fail(path, `the signedIdentity has no "type" (one of ${identityTypes.join(', ')})`);
  const type = r.string(typeNode, [...path, 'type']);
  const exactFields = (fields: readonly string[]): string[] => {
    r.onlyKeys(m, path, ['type', ...fields], `a ${type} signedIdentity`);
    return fields.map((f) => {
      const n = m.get(f);
      if (n === undefined) r.fail(path, `a ${type} signedIdentity needs "${f}"`);
      return r.string(n, [...path, f]);
    });
  };
  switch (type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      exactFields([]);
      return { type };
    case 'exactReference': {
      const [dockerReference = ''] = exactFields(['dockerReference']);
      const at = [...path, 'dockerReference'];
      let named;
      try {
        named = parseNormalizedNamed(dockerReference);
      } catch (err) {
        return r.fail(at, `invalid dockerReference ${JSON.stringify(dockerReference)}: ${(err as Error).message}`);
      }
      if (isNameOnly(named)) r.fail(at, `dockerReference ${JSON.stringify(dockerReference)} contains neither a tag nor a digest`);
      return { type, dockerReference };
    }
    case 'exactRepository': {
      const [dockerRepository = ''] = exactFields(['dockerRepository']);
      try {
        parseNormalizedNamed(dockerRepository);
      } catch (err) {
        return r.fail([...path, 'dockerRepository'], `invalid dockerRepository ${JSON.stringify(dockerRepository)}: ${(err as Error).message}`);
      }
      return { type, dockerRepository };
    }
    case 'remapIdentity': {
      const [prefix = '', signedPrefix = ''] = exactFields(['prefix', 'signedPrefix']);
      for (const [key, value] of [
        ['prefix', prefix],
        ['signedPrefix', signedPrefix],
      ] as const) {
        if (!isValidRemapPrefix(value)) {
          r.fail(
            [...path, key],
            `${key} ${JSON.stringify(value)} is not valid: it must be a host[:port] or a fully qualified repository or namespace (host[:port]/path)`,
          );
        }
      }
      return { type, prefix, signedPrefix };
    }
    default:
      return r.fail([...path, 'type'], `unknown signedIdentity type ${JSON.stringify(type)} (expected one of ${identityTypes.join(', ')})`);
  }
}

// The grammar of containers/image's docker/reference (no IPv6 literals), as validateIdentityRemappingPrefix uses it.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const nameComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const remapDomain = new RegExp(`^${domain}$`);
const remapDomainPrefix = new RegExp(`^${domain}/`);
const remapName = new RegExp(`^(?:${domain}/)?${nameComponent}(?:/${nameComponent})*$`);

/**
 * As containers/image's validateIdentityRemappingPrefix: a domain (host[:port]), or a name that starts with a
 * domain. Like it, this does not catch every invalid value ("ns/shortname" passes the domain test).
 */
export function isValidRemapPrefix(s: string): boolean {
  if (s.length > 1024) return false;
  return remapDomain.test(s) || (remapName.test(s) && remapDomainPrefix.test(s));
}

const goDigestHexLength: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/** go-digest's `digest.Parse` succeeds (the algorithms it knows, lowercase hex of the right length). */
function isGoDigest(s: string): boolean {
  const colon = s.indexOf(':');
  if (colon <= 0) return false;
  const want = goDigestHexLength[s.slice(0, colon)];
  const hex = s.slice(colon + 1);
  return want !== undefined && hex.length === want && /^[a-f0-9]+$/.test(hex);
}

function absolutePathScopeProblem(scope: string): string | undefined {
  if (!scope.startsWith('/')) return 'must be an absolute path';
  if (scope === '/') return 'the scope "/" is not allowed; use the transport default scope ""';
  const cleaned = cleanPath(scope);
  if (cleaned !== scope) return `not in canonical form, perhaps ${JSON.stringify(cleaned)}`;
  return undefined;
}

function storageScopeProblem(scope: string): string | undefined {
  if (!scope.startsWith('[')) return 'must start with a [store specification]';
  const close = scope.indexOf(']');
  if (close < 1) return 'the [store specification] is not terminated';
  const spec = scope.slice(1, close);
  const rest = scope.slice(close + 1);
  const at = spec.indexOf('@');
  if (at >= 0) {
    const driver = spec.slice(0, at);
    const root = spec.slice(at + 1);
    if (driver === '' || root === '') return 'the store specification must be [driver@/graph/root] or [/graph/root]';
    if (!root.startsWith('/')) return 'the graph root must be an absolute path';
  } else if (spec === '') {
    return 'the store specification must be [driver@/graph/root] or [/graph/root]';
  } else if (!spec.startsWith('/')) {
    return 'the graph root must be an absolute path';
  }
  if (rest === '') return undefined;
  const fields = rest.split('@');
  const isImageId = (s: string): boolean => isGoDigest(`sha256:${s}`);
  if (fields.length === 2) {
    const f = fields[1] as string;
    if (!isImageId(f) && !isGoDigest(f)) return `${JSON.stringify(f)} is neither a valid digest nor a valid image ID`;
  } else if (fields.length >= 3) {
    // Go splits into at most 3 fields: the last one keeps any further "@".
    const f1 = fields[1] as string;
    const f2 = fields.slice(2).join('@');
    if (!isGoDigest(f1)) return `${JSON.stringify(f1)} is not a valid digest`;
    if (!isImageId(f2)) return `${JSON.stringify(f2)} is not a valid image ID`;
  }
  return undefined;
}

/**
 * What is wrong with a (non-empty) scope of a transport containers/image knows, or undefined when it is
 * valid or the transport does not validate scopes (docker, and transports unknown to containers/image).
 */
export function scopeProblem(transport: string, scope: string): string | undefined {
  switch (transport) {
    case 'dir':
    case 'oci':
    case 'oci-archive':
    case 'sif':
      return absolutePathScopeProblem(scope);
    case 'docker-archive':
    case 'tarball':
      return `${transport}: supports no scope except the default ""`;
    case 'docker-daemon':
      return isGoDigest(scope) ? 'an algo:digest image ID cannot be used as a scope' : undefined;
    case 'containers-storage':
      return storageScopeProblem(scope);
    case 'atomic':
      return /^[^/]*(?:\/[^:/]*(?:\/[^:/]*(?::[^:/]*)?)?)?$/.test(scope) ? undefined : 'not a valid atomic: scope';
    default:
      return undefined;
  }
}
