/**
 * Image configurations seen through the OCI image-spec `Image` structure, as containers/image does: fields
 * the structure does not have are dropped and empty optional ones omitted. `inspect --config` prints this
 * view, and converting a Docker schema 2 image to OCI re-encodes its config this way (so the config digest
 * changes exactly as it does with skopeo).
 */
import { goMap, goMarshal, goMarshalIndent, goTimeString } from '../core/index.js';
import { ManifestError } from './errors.js';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.length > 0 ? v.filter((x): x is string => typeof x === 'string') : undefined;
}
function set(v: unknown): Record<string, object> | undefined {
  const o = obj(v);
  if (o === undefined || Object.keys(o).length === 0) return undefined;
  return goMap(Object.fromEntries(Object.keys(o).map((k) => [k, {}])));
}
function stringMap(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (o === undefined || Object.keys(o).length === 0) return undefined;
  return goMap(Object.fromEntries(Object.entries(o).filter((e): e is [string, string] => typeof e[1] === 'string')));
}
function time(v: unknown): string | undefined {
  return typeof v === 'string' ? goTimeString(v) : undefined;
}

export function ociConfigView(raw: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new ManifestError('INVALID_CONFIG', `image config is not valid JSON: ${(err as Error).message}`);
  }
  const c = obj(parsed);
  if (c === undefined) throw new ManifestError('INVALID_CONFIG', 'image config is not a JSON object');
  const inner = obj(c['config']) ?? {};
  const rootfs = obj(c['rootfs']) ?? {};
  const history = Array.isArray(c['history']) ? c['history'].map((h) => obj(h) ?? {}) : undefined;
  return {
    created: time(c['created']),
    author: str(c['author']),
    architecture: typeof c['architecture'] === 'string' ? c['architecture'] : '',
    variant: str(c['variant']),
    os: typeof c['os'] === 'string' ? c['os'] : '',
    'os.version': str(c['os.version']),
    'os.features': strings(c['os.features']),
    config: {
      User: str(inner['User']),
      ExposedPorts: set(inner['ExposedPorts']),
      Env: strings(inner['Env']),
      Entrypoint: strings(inner['Entrypoint']),
      Cmd: strings(inner['Cmd']),
      Volumes: set(inner['Volumes']),
      WorkingDir: str(inner['WorkingDir']),
      Labels: stringMap(inner['Labels']),
      StopSignal: str(inner['StopSignal']),
      ArgsEscaped: inner['ArgsEscaped'] === true ? true : undefined,
    },
    rootfs: {
      type: typeof rootfs['type'] === 'string' ? rootfs['type'] : '',
      diff_ids: Array.isArray(rootfs['diff_ids']) ? rootfs['diff_ids'] : null,
    },
    history:
      history === undefined || history.length === 0
        ? undefined
        : history.map((h) => ({
            created: time(h['created']),
            created_by: str(h['created_by']),
            author: str(h['author']),
            comment: str(h['comment']),
            empty_layer: h['empty_layer'] === true ? true : undefined,
          })),
  };
}

/** What `skopeo inspect --config` prints for a config blob (indented, with a final newline). */
export function renderOciConfig(raw: Buffer): string {
  return goMarshalIndent(ociConfigView(raw)) + '\n';
}

/** The config blob a Docker schema 2 → OCI conversion writes: the OCI view, compact. */
export function convertConfigToOci(raw: Buffer): Buffer {
  return Buffer.from(goMarshal(ociConfigView(raw)));
}
