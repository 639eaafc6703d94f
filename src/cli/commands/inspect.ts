import { inspectImage, readRawConfig, readRawManifest, renderInspect } from '../../inspect/index.js';
import { renderOciConfig } from '../../manifest/index.js';
import { parseImageName } from '../../transports/index.js';
import { systemContext } from '../context.js';
import type { GlobalOptions } from '../options.js';

export async function runInspect(image: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<void> {
  const ref = parseImageName(image);
  const ctx = systemContext(opts, globals);
  if (opts['config'] === true) {
    const config = await readRawConfig(ref, ctx);
    process.stdout.write(opts['raw'] === true ? config : renderOciConfig(config));
    return;
  }
  if (opts['raw'] === true) {
    process.stdout.write(await readRawManifest(ref, ctx));
    return;
  }
  const output = await inspectImage(ref, ctx, { listTags: opts['tags'] !== false });
  process.stdout.write(renderInspect(output));
}
