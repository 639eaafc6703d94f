/**
 * containers-registries.d: where simple signatures live (lookaside storage) and whether cosign attachments
 * are used, per docker scope, with containers/image's merge and lookup rules (docker/registries_d.go).
 *
 * - Every `*.yaml` file is read; defining `default-docker`, or the same `docker` scope, in two files is an
 *   error naming both. Within a file, duplicate keys are an error.
 * - Unknown keys are errors (SPEC §4: paranoid parsing; containers/image itself ignores them).
 * - Lookup order is the policy's (identity, namespaces incl. `*.example.com` wildcards, then
 *   `default-docker`), but — unlike the policy — an entry without a lookaside URL falls through to the next
 *   less specific one (registries_d.go signatureTopLevel). The deprecated `sigstore` / `sigstore-staging`
 *   keys are read only when `lookaside` / `lookaside-staging` are empty. `use-sigstore-attachments` falls
 *   through the same way on its own, and defaults to false.
 * - YAML values are read as Go's yaml.v3 would decode them into containers/image's structs: any scalar is
 *   a string, `null` is the empty value, and `use-sigstore-attachments` also accepts yes/no/on/off.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document, Node } from 'yaml';
import {
  lookasideSignatureUrl,
  policyConfigurationIdentity,
  policyConfigurationNamespaces,
  type Digest,
  type DockerReference,
} from '../core/index.js';
import { PolicyError } from './errors.js';

/** One configuration section (`default-docker`, or the value of a `docker` scope). Empty strings mean unset. */
export interface RegistryNamespace {
  readonly lookaside: string;
  readonly lookasideStaging: string;
  /** Deprecated spelling of `lookaside`, used only when it is empty. */
  readonly sigstore: string;
  /** Deprecated spelling of `lookaside-staging`, used only when it is empty. */
  readonly sigstoreStaging: string;
  readonly useSigstoreAttachments: boolean | undefined;
}

export interface RegistriesConfig {
  readonly defaultDocker: RegistryNamespace | undefined;
  readonly docker: ReadonlyMap<string, RegistryNamespace>;
  /** The file that defined `default-docker` and each `docker` scope, for messages. */
  readonly definedIn: ReadonlyMap<string, string>;
}

export interface SignatureLocations {
  /** The lookaside base URL to read from; undefined when nothing is configured (the built-in default applies). */
  readonly lookaside?: string;
  /** The base URL to write to (`lookaside-staging`, else the lookaside), found by the same fall-through. */
  readonly lookasideStaging?: string;
  readonly useSigstoreAttachments: boolean;
  /**
   * The registries.d entry that supplied `lookaside`: a docker scope, `default-docker`, or `""` when none
   * did.
   */
  readonly scope: string;
}

const sectionKeys = ['lookaside', 'lookaside-staging', 'sigstore', 'sigstore-staging', 'use-sigstore-attachments'] as const;

function fail(file: string, where: string, what: string): never {
  throw new PolicyError('INVALID_REGISTRIES_D', `invalid registries.d file ${file}: ${where}${where === '' ? '' : ': '}${what}`);
}

class YamlReader {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
  ) {}

  private resolve(node: unknown): unknown {
    let n = node;
    for (let i = 0; i < 100 && yaml().isAlias(n); i++) n = n.resolve(this.doc);
    return n;
  }

  fail(where: string, what: string): never {
    return fail(this.file, where, what);
  }

  /** A mapping as [key, value] pairs; `null` is an empty mapping. */
  mapping(node: unknown, where: string): [string, unknown][] {
    const n = this.resolve(node);
    if (n === null || n === undefined || (yaml().isScalar(n) && n.value === null)) return [];
    if (!yaml().isMap(n)) this.fail(where, `must be a mapping, got ${this.kind(n)}`);
    return n.items.map((pair) => {
      const key = this.resolve(pair.key);
      if (!yaml().isScalar(key)) this.fail(where, 'mapping keys must be scalars');
      return [scalarText(key), pair.value];
    });
  }

  isNull(node: unknown): boolean {
    const n = this.resolve(node);
    return n === null || n === undefined || (yaml().isScalar(n) && n.value === null);
  }

  string(node: unknown, where: string): string {
    const n = this.resolve(node);
    if (n === null || n === undefined) return '';
    if (!yaml().isScalar(n)) this.fail(where, `must be a string, got ${this.kind(n)}`);
    return n.value === null ? '' : scalarText(n);
  }

  bool(node: unknown, where: string): boolean | undefined {
    const n = this.resolve(node);
    if (n === null || n === undefined) return undefined;
    if (!yaml().isScalar(n)) this.fail(where, `must be true or false, got ${this.kind(n)}`);
    if (n.value === null) return undefined;
    if (typeof n.value === 'boolean') return n.value;
    const text = scalarText(n);
    if (['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].includes(text)) return true;
    if (['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].includes(text)) return false;
    return this.fail(where, `must be true or false, got ${JSON.stringify(text)}`);
  }

  private kind(n: unknown): string {
    if (yaml().isMap(n)) return 'a mapping';
    if (yaml().isSeq(n)) return 'a sequence';
    return 'a scalar';
  }
}

function scalarText(n: { value: unknown; source?: string }): string {
  if (typeof n.value === 'string') return n.value;
  return n.source ?? String(n.value);
}

function parseSection(y: YamlReader, node: unknown, where: string): RegistryNamespace {
  const fields = new Map(y.mapping(node, where));
  for (const key of fields.keys()) {
    if (!(sectionKeys as readonly string[]).includes(key)) {
      y.fail(`${where}.${key}`, `unknown key (allowed: ${sectionKeys.join(', ')})`);
    }
  }
  return {
    lookaside: y.string(fields.get('lookaside'), `${where}.lookaside`),
    lookasideStaging: y.string(fields.get('lookaside-staging'), `${where}.lookaside-staging`),
    sigstore: y.string(fields.get('sigstore'), `${where}.sigstore`),
    sigstoreStaging: y.string(fields.get('sigstore-staging'), `${where}.sigstore-staging`),
    useSigstoreAttachments: y.bool(fields.get('use-sigstore-attachments'), `${where}.use-sigstore-attachments`),
  };
}

/**
 * The YAML parser, loaded the first time a registries.d file is actually parsed (most commands have none to
 * read, and it is a sizeable module to load at every start).
 */
let yamlModule: typeof Yaml | undefined;
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlModule;
}

function parseFile(file: string, text: string): { defaultDocker: RegistryNamespace | undefined; docker: [string, RegistryNamespace][] } {
  // Like yaml.v3's Unmarshal, only the first document counts.
  const docs = yaml().parseAllDocuments(text, { uniqueKeys: true, version: '1.2', prettyErrors: true });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) return { defaultDocker: undefined, docker: [] };
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const pos = firstError.linePos?.[0];
    const text0 = (firstError.message.split('\n')[0] ?? firstError.message).replace(/ at line \d+, column \d+:?$/, '');
    fail(file, pos !== undefined ? `line ${pos.line} column ${pos.col}` : '', text0);
  }
  const y = new YamlReader(file, doc);
  const top = y.mapping(doc.contents as Node | null, '(top level)');
  let defaultDocker: RegistryNamespace | undefined;
  const docker: [string, RegistryNamespace][] = [];
  for (const [key, value] of top) {
    if (key === 'default-docker') {
      // A null section is the same as no section, as in containers/image.
      if (!y.isNull(value)) defaultDocker = parseSection(y, value, 'default-docker');
    } else if (key === 'docker') {
      for (const [scope, section] of y.mapping(value, 'docker')) {
        docker.push([scope, parseSection(y, section, `docker[${JSON.stringify(scope)}]`)]);
      }
    } else {
      y.fail(key, 'unknown top-level key (allowed: default-docker, docker)');
    }
  }
  return { defaultDocker, docker };
}

/**
 * Parses and merges the files of a registries.d directory. Files whose names do not end in `.yaml` are
 * ignored, as containers/image does; files are merged in name order. Throws
 * `PolicyError('INVALID_REGISTRIES_D')`.
 */
export function parseRegistriesDirectory(files: readonly { readonly name: string; readonly text: string }[]): RegistriesConfig {
  const sorted = files.filter((f) => f.name.endsWith('.yaml')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let defaultDocker: RegistryNamespace | undefined;
  const docker = new Map<string, RegistryNamespace>();
  const definedIn = new Map<string, string>();
  const defaultKey = '\u0000default-docker';
  for (const f of sorted) {
    const parsed = parseFile(f.name, f.text);
    if (parsed.defaultDocker !== undefined) {
      const earlier = definedIn.get(defaultKey);
      if (earlier !== undefined) {
        throw new PolicyError('INVALID_REGISTRIES_D', `registries.d: "default-docker" is defined both in ${earlier} and in ${f.name}`);
      }
      defaultDocker = parsed.defaultDocker;
      definedIn.set(defaultKey, f.name);
    }
    for (const [scope, section] of parsed.docker) {
      const earlier = definedIn.get(scope);
      if (earlier !== undefined) {
        throw new PolicyError('INVALID_REGISTRIES_D', `registries.d: docker scope ${JSON.stringify(scope)} is defined both in ${earlier} and in ${f.name}`);
      }
      docker.set(scope, section);
      definedIn.set(scope, f.name);
    }
  }
  return { defaultDocker, docker, definedIn: new Map([...definedIn].map(([k, v]) => [k === defaultKey ? 'default-docker' : k, v])) };
}

function topLevel(ns: RegistryNamespace, write: boolean): string {
  if (write) {
    if (ns.lookasideStaging !== '') return ns.lookasideStaging;
    if (ns.sigstoreStaging !== '') return ns.sigstoreStaging;
  }
  if (ns.lookaside !== '') return ns.lookaside;
  return ns.sigstore;
}

/** The sections that may apply to `ref`, most specific first, with their names. */
function candidates(config: RegistriesConfig, ref: DockerReference): [string, RegistryNamespace][] {
  const out: [string, RegistryNamespace][] = [];
  let identity: string | undefined;
  try {
    identity = policyConfigurationIdentity(ref);
  } catch {
    identity = undefined;
  }
  for (const name of [...(identity !== undefined ? [identity] : []), ...policyConfigurationNamespaces(ref)]) {
    const ns = config.docker.get(name);
    if (ns !== undefined) out.push([name, ns]);
  }
  if (config.defaultDocker !== undefined) out.push(['default-docker', config.defaultDocker]);
  return out;
}

/** Where signatures of `ref` are read and written, and whether cosign attachments are used. */
export function signatureLocationsFor(config: RegistriesConfig, ref: DockerReference): SignatureLocations {
  const sections = candidates(config, ref);
  let lookaside: string | undefined;
  let scope = '';
  for (const [name, ns] of sections) {
    const url = topLevel(ns, false);
    if (url !== '') {
      lookaside = url;
      scope = name;
      break;
    }
  }
  const staging = sections.map(([, ns]) => topLevel(ns, true)).find((u) => u !== '');
  const attachments = sections.map(([, ns]) => ns.useSigstoreAttachments).find((v) => v !== undefined) ?? false;
  return {
    ...(lookaside !== undefined ? { lookaside } : {}),
    ...(staging !== undefined ? { lookasideStaging: staging } : {}),
    useSigstoreAttachments: attachments,
    scope,
  };
}

/**
 * The built-in lookaside base when registries.d configures none: `/var/lib/containers/sigstore` for root,
 * `$HOME/.local/share/containers/sigstore` otherwise.
 */
export function defaultLookasideBase(user: { readonly root: boolean; readonly home: string }): string {
  return user.root ? 'file:///var/lib/containers/sigstore' : `file://${user.home.replace(/\/+$/, '')}/.local/share/containers/sigstore`;
}

/**
 * The URL of signature number `index` (1-based, as the `signature-N` file names) of the manifest `digest` of
 * `ref` under the lookaside `base`: `<base>/<repository path without host>@<algo>=<hex>/signature-<N>`. Any
 * query or fragment of `base` stays at the end, as Go's URL handling does.
 */
export function lookasideUrl(base: string, ref: DockerReference, digest: Digest, index: number): string {
  if (!Number.isInteger(index) || index < 1) {
    throw new PolicyError('INVALID_REGISTRIES_D', `lookaside signature index must be a positive integer, got ${index}`);
  }
  return lookasideSignatureUrl(base, ref.path, digest, index);
}
