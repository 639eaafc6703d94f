/**
 * Renders copy progress: one bar per blob on a terminal (short digest, bytes, rate); otherwise one line per
 * blob when it is done, as skopeo prints in a pipe; nothing with --quiet.
 */
import type { Writable } from 'node:stream';
import { shortDigest } from '../core/index.js';
import type { BlobTransfer, CopyProgress } from '../copy/index.js';

function label(t: BlobTransfer): string {
  // skopeo keeps "Copying <kind> <hex>" to the width of "Copying blob " + 12 hex characters.
  return `Copying ${t.kind} ${shortDigest(t.info.digest, t.kind === 'config' ? 10 : 12)}`;
}

/** Plain lines, for pipes and log files. */
export class LineProgress implements CopyProgress {
  constructor(private readonly out: Writable) {}

  gettingSignatures(list: boolean): void {
    this.out.write(list ? 'Getting image list signatures\n' : 'Getting image source signatures\n');
  }
  copyingList(count: number, total: number): void {
    this.out.write(`Copying ${count} of ${total} images in list\n`);
  }
  copyingInstance(digest: string, index: number, total: number): void {
    this.out.write(`Copying image ${digest} (${index}/${total})\n`);
  }
  blobStarted(): void {}
  blobFinished(t: BlobTransfer, outcome: 'copied' | 'skipped'): void {
    this.out.write(`${label(t)} ${outcome === 'copied' ? 'done' : 'skipped: already exists'}\n`);
  }
  blobFailed(): void {}
  writingManifest(list: boolean): void {
    this.out.write(list ? 'Writing manifest list to image destination\n' : 'Writing manifest to image destination\n');
  }
  storingSignatures(list: boolean): void {
    this.out.write(list ? 'Storing list signatures\n' : 'Storing signatures\n');
  }
}

/** Nothing at all (`--quiet`). */
export const quietProgress: CopyProgress = {
  gettingSignatures() {},
  copyingList() {},
  copyingInstance() {},
  blobStarted() {},
  blobFinished() {},
  blobFailed() {},
  writingManifest() {},
  storingSignatures() {},
};

/** Bars on a terminal, drawn by cli-progress: one per blob while blobs move, plain lines between. */
export async function terminalProgress(out: NodeJS.WriteStream): Promise<CopyProgress & { stop(): void }> {
  const { MultiBar, Presets } = (await import('cli-progress')).default;
  type Bars = InstanceType<typeof MultiBar>;
  let bars: Bars | undefined;
  const active = new Map<BlobTransfer, { bar: ReturnType<Bars['create']>; started: number; timer: NodeJS.Timeout }>();
  const payload = (t: BlobTransfer, started: number, state?: string): Record<string, string> => {
    const done = t.bytesDone();
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    return {
      label: label(t),
      done: humanBytes(done),
      size: t.info.size >= 0 ? humanBytes(t.info.size) : '?',
      state: state ?? `${humanBytes(done / secs)}/s`,
    };
  };
  const ensureBars = (): Bars => {
    bars ??= new MultiBar(
      {
        stream: out,
        format: '{label} {bar} {done} / {size} | {state}',
        barsize: 20,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        fps: 10,
      },
      Presets.shades_classic,
    );
    return bars;
  };
  /** Finish the current set of bars (they stay on screen) so plain lines can follow them. */
  const settle = (): void => {
    for (const a of active.values()) clearInterval(a.timer);
    active.clear();
    bars?.stop();
    bars = undefined;
  };
  const line = (text: string): void => {
    settle();
    out.write(text + '\n');
  };
  return {
    gettingSignatures: (list) => line(list ? 'Getting image list signatures' : 'Getting image source signatures'),
    copyingList: (count, total) => line(`Copying ${count} of ${total} images in list`),
    copyingInstance: (digest, index, total) => line(`Copying image ${digest} (${index}/${total})`),
    blobStarted(t) {
      const started = Date.now();
      const bar = ensureBars().create(Math.max(t.info.size, 1), 0, payload(t, started));
      const timer = setInterval(() => bar.update(t.bytesDone(), payload(t, started)), 100);
      active.set(t, { bar, started, timer });
    },
    blobFinished(t, outcome) {
      const a = active.get(t);
      if (a === undefined) return;
      clearInterval(a.timer);
      a.bar.update(Math.max(t.info.size, t.bytesDone(), 1), payload(t, a.started, outcome === 'copied' ? 'done' : 'skipped: already exists'));
      active.delete(t);
    },
    blobFailed(t) {
      const a = active.get(t);
      if (a === undefined) return;
      clearInterval(a.timer);
      a.bar.update(t.bytesDone(), payload(t, a.started, 'failed'));
      active.delete(t);
    },
    writingManifest: (list) => line(list ? 'Writing manifest list to image destination' : 'Writing manifest to image destination'),
    storingSignatures: (list) => line(list ? 'Storing list signatures' : 'Storing signatures'),
    stop: settle,
  };
}

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
