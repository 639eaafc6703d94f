import { imageTree, renderTree } from '../../tree/index.js';
import { parseImageName } from '../../transports/index.js';
import { loadRegistriesD } from '../../verify/index.js';
import { systemContext } from '../context.js';
import type { GlobalOptions } from '../options.js';

export async function runTree(image: string, opts: Record<string, unknown>, globals: GlobalOptions): Promise<number> {
  const tree = await imageTree(parseImageName(image), { context: systemContext(opts, globals), registries: await loadRegistriesD(globals['registries.d']) });
  process.stdout.write(globals.output === 'json' ? JSON.stringify(tree, null, 2) + '\n' : renderTree(tree));
  return 0;
}
