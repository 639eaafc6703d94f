import { writeFile } from 'node:fs/promises';
import { copyImage, type CopyOptions, type CopyProgress } from '../../copy/index.js';
import { MediaTypes } from '../../manifest/index.js';
import { parseImageName } from '../../transports/index.js';
import { systemContext } from '../context.js';
import type { GlobalOptions } from '../options.js';
import { LineProgress, quietProgress, terminalProgress } from '../progress.js';

export async function runCopy(source: string, destination: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const src = parseImageName(source);
  const dst = parseImageName(destination);
  let progress: CopyProgress;
  let stop = (): void => {};
  if (opts['quiet'] === true) {
    progress = quietProgress;
  } else if (process.stdout.isTTY === true && globals.output !== 'json') {
    const bars = await terminalProgress(process.stdout);
    progress = bars;
    stop = () => bars.stop();
  } else {
    progress = new LineProgress(globals.output === 'json' ? process.stderr : process.stdout);
  }
  const options: { -readonly [K in keyof CopyOptions]: CopyOptions[K] } = {
    sourceContext: systemContext(opts, globals, 'src'),
    destinationContext: systemContext(opts, globals, 'dest'),
    all: opts['all'] === true,
    removeSignatures: opts['removeSignatures'] === true,
    progress,
  };
  if (opts['format'] === 'oci') options.manifestMediaType = MediaTypes.ociManifest;
  if (opts['format'] === 'v2s2') options.manifestMediaType = MediaTypes.dockerV2S2Manifest;
  let result;
  try {
    result = await copyImage(src, dst, options);
  } finally {
    stop();
  }
  if (typeof opts['digestfile'] === 'string') await writeFile(opts['digestfile'], result.manifestDigest);
  if (globals.output === 'json') {
    process.stdout.write(
      JSON.stringify({
        source: source,
        destination: destination,
        manifestDigest: result.manifestDigest,
        mediaType: result.mediaType,
        instances: result.instances,
        blobsCopied: result.blobsCopied,
        blobsSkipped: result.blobsSkipped,
      }) + '\n',
    );
  }
}
